package store

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Key layout. Every key of one chat carries the hash tag {c:<chat id>}, so
// the per-chat keys live in one Redis Cluster slot; every key without a
// natural owner carries the tag {g}, so the global scripts (enrolment,
// acknowledgement, the schedule) touch one slot too. No script and no
// MULTI touches both: a commit writes its chat's slot, and its global
// effects go through the chat's relay list (relay.go).
//
//	ck:{c:<chat>}:session   hash: v (version), s (session JSON, sealed), u (highest committed update id),
//	                        r (last reply seq), q (last relay seq), d (week of the last digest, unix ms),
//	                        b:<chat> (highest update id of that clinician chat's commands committed here)
//	ck:{c:<chat>}:answers   list of "<unix ms>|<answer, compact JSON (history.go), sealed>", oldest first
//	ck:{c:<chat>}:checkins  list of "<unix ms>|<finished run naming its answers' count, compact JSON, sealed>", oldest first
//	ck:{c:<chat>}:replies   list of "<seq>|<OutboxReply JSON, sealed>": replies committed and not yet confirmed sent, oldest first
//	ck:{c:<chat>}:relay     list of "<seq>|<netstrings>": the chat's commits' global effects, oldest first (relay.lua),
//	                        until applied and dropped (by the chat's next commit or a sweep)
//	ck:{g}:outbox           stream of escalations to dispatch (field esc = escalation id), group "dispatch"
//	ck:{g}:esc:seq          counter allocating escalation ids
//	ck:{g}:esc:<id>         hash: one escalation (see EscalationRecord); question, answer, reason, note sealed
//	ck:{g}:esc:<id>:msgs    list of "<chat>:<message>" copies sent to clinicians
//	ck:{g}:esc:open         zset of unacknowledged escalation ids, score = raised at (unix ms)
//	ck:{g}:esc:unresolved   zset of unresolved escalation ids (open or acknowledged), score = raised at (unix ms)
//	ck:{g}:note:<user>:<chat> string: "<prompt message id>|<escalation id>", the bot's prompt for the clinician's resolution note in the chat, with a TTL
//	ck:{g}:resolution:<token> hash: esc, by, note (sealed): a resolution written and awaiting its confirmation, with a TTL
//	ck:{g}:audit            stream of audit events (ids and who/what/when only, no content)
//	ck:{g}:invite:<sha256>  hash: an invite, keyed by the SHA-256 of its code, with the invite's TTL
//	ck:{g}:labels           hash: patient label -> chat id
//	ck:{g}:patients         hash: chat id -> patient label
//	ck:{g}:labels:former    hash: patient label -> the chat it was last linked to, kept at unenrolment so its records stay reachable
//	ck:{g}:schedule         zset of due jobs, member "<chat>|<due ms>|<job JSON>", score = due (unix ms)
//	ck:{g}:claimed          zset of claimed jobs, same members, score = lease deadline (unix ms)
//	ck:{g}:lease:<name>     string: the owner of a named lease, with a PX expiry
//	ck:{g}:protocols        hash: protocol version -> protocol file (YAML)
//	ck:{g}:history          zset of history list keys (answers, check-ins), score <= the list's oldest entry (unix ms), for Prune
//	ck:{g}:history:indexed  string: set once the lists written before the history index existed were entered in it
//	ck:{g}:replies:unsent   zset of chats that may have unsent replies or relay entries not applied (marked by
//	                        Load, before a commit), score = when a sweeper may take them over (unix ms)
//	ck:{g}:relayed          hash: chat -> the highest relay seq applied to the global keys
//	ck:{g}:datakeys         set of the data key ids (hex) that sealed data in this Redis, for the start-up check
//	ck:{g}:datakeys:indexed string: set once the sessions sealed before that set existed were entered in it
//	ck:{g}:digest:<due ms>  hash: chat -> last reply seq, the chats a week's digest was committed to (30-day TTL),
//	                        as written before the mark moved to the session's field d; still read
//
// "Sealed" means encrypted when the store has a Cipher (see crypt.go), and
// so are an escalation's question, answer, reason and note; entries and
// sessions written before that are plain JSON and still read.
const (
	keyOutbox    = "ck:{g}:outbox"
	keyEscSeq    = "ck:{g}:esc:seq"
	keyEscPrefix = "ck:{g}:esc:"
	keyEscOpen   = "ck:{g}:esc:open"
	keyEscUnres  = "ck:{g}:esc:unresolved"
	keyAudit     = "ck:{g}:audit"
	keyLabels    = "ck:{g}:labels"
	keyPatients  = "ck:{g}:patients"
	keyFormer    = "ck:{g}:labels:former"
	keySchedule  = "ck:{g}:schedule"
	keyClaimed   = "ck:{g}:claimed"
	keyProtocols = "ck:{g}:protocols"
	keyHistory   = "ck:{g}:history"
	keyUnsent    = "ck:{g}:replies:unsent"
	keyDataKeys  = "ck:{g}:datakeys"
	keyRelayed   = "ck:{g}:relayed"

	keyHistoryIndexed = "ck:{g}:history:indexed"

	outboxGroup = "dispatch"
)

// chatKeys are the keys of one chat.
type chatKeys struct {
	session, answers, checkins, replies, relay string
}

// keysFor names them. It is on every update's path twice or more, so the
// five names are cut from one string: one allocation instead of seven.
func keysFor(chatID int64) chatKeys {
	var id [20]byte
	p := append(append([]byte("ck:{c:"), strconv.AppendInt(id[:0], chatID, 10)...), "}:"...)
	var b strings.Builder
	b.Grow(5*len(p) + len("session") + len("answers") + len("checkins") + len("replies") + len("relay"))
	cut := func(name string) int {
		b.Write(p)
		b.WriteString(name)
		return b.Len()
	}
	s, a, c, r, l := cut("session"), cut("answers"), cut("checkins"), cut("replies"), cut("relay")
	all := b.String()
	return chatKeys{session: all[:s], answers: all[s:a], checkins: all[a:c], replies: all[c:r], relay: all[r:l]}
}

func escKey(id string) string     { return keyEscPrefix + id }
func escMsgsKey(id string) string { return keyEscPrefix + id + ":msgs" }
func leaseKey(name string) string { return "ck:{g}:lease:" + name }

// digestKey names the mark of the weekly digest due at week.
func digestKey(week time.Time) string {
	return "ck:{g}:digest:" + strconv.FormatInt(week.UnixMilli(), 10)
}

func noteKey(clinicianID, chatID int64) string {
	return "ck:{g}:note:" + strconv.FormatInt(clinicianID, 10) + ":" + strconv.FormatInt(chatID, 10)
}

func pendingResolutionKey(token string) string { return "ck:{g}:resolution:" + token }

// inviteKey names an invite by the hash of its code, so a copy of the
// database does not hold usable codes.
func inviteKey(code string) string {
	sum := sha256.Sum256([]byte(code))
	return "ck:{g}:invite:" + hex.EncodeToString(sum[:])
}

// escFieldAD is the additional data sealing a free-text field of an
// escalation: the patient's chat and the field, as the id is allocated only
// inside the commit script.
func escFieldAD(chatID int64, field string) string {
	return "ck:{c:" + strconv.FormatInt(chatID, 10) + "}:esc:" + field
}

// escNoteAD is the additional data sealing an escalation's resolution note.
func escNoteAD(id string) string { return escKey(id) + ":note" }

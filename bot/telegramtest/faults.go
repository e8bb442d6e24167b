package telegramtest

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Limits are Telegram-like rate limits on the messages a bot sends
// (sendMessage, sendPhoto, sendDocument): token buckets per private chat, per
// group and overall. A message over a limit is answered 429 "Too Many
// Requests: retry after N" with parameters.retry_after, and not sent. A
// zero rate means no limit of that kind.
type Limits struct {
	PerChat       float64 // messages a second in one private chat
	PerChatBurst  int
	PerGroup      float64 // messages a second in one group
	PerGroupBurst int
	Global        float64 // messages a second across all chats
	GlobalBurst   int
}

// TelegramLimits approximate Telegram's published limits: about one message
// a second per chat (short bursts are tolerated), 20 a minute per group, 30
// a second overall.
var TelegramLimits = Limits{
	PerChat: 1, PerChatBurst: 10,
	PerGroup: 20.0 / 60, PerGroupBurst: 20,
	Global: 30, GlobalBurst: 30,
}

// WithRateLimits makes the server enforce l; by default nothing is limited.
func WithRateLimits(l Limits) Option {
	return func(s *Server) { s.limits = &l }
}

// Faults are random errors injected into the bot's calls (every method but
// getMe and getUpdates): with probability Rate a call is answered either
// 429 with retry_after RetryAfter (default 1) or 502 Bad Gateway, half and
// half, without being handled. Seed makes a run repeatable.
type Faults struct {
	Rate       float64
	RetryAfter int
	Seed       uint64
}

// WithFaults injects random errors as f describes; by default there are none.
func WithFaults(f Faults) Option {
	return func(s *Server) {
		if f.RetryAfter <= 0 {
			f.RetryAfter = 1
		}
		s.faults = &f
		s.faultRand = rand.New(rand.NewPCG(f.Seed, f.Seed^0x9e3779b97f4a7c15))
	}
}

// WithLatency delays the answer to every call but getUpdates by d, like a
// slow network or a slow Telegram.
func WithLatency(d time.Duration) Option {
	return func(s *Server) { s.latency = d }
}

// SetLatency changes the delay of WithLatency while the server runs.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetFaultRate changes the rate of injected errors while the server runs
// (0 stops them); it has no effect on a server made without WithFaults.
func (s *Server) SetFaultRate(rate float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults != nil {
		s.faults.Rate = rate
	}
}

// bucket is a token bucket: rate tokens a second, at most burst.
type bucket struct {
	tokens float64
	last   time.Time
}

// take takes a token at now if there is one, else reports how long until
// there will be.
func (b *bucket) take(now time.Time, rate float64, burst int) (time.Duration, bool) {
	if b.last.IsZero() {
		b.tokens = float64(burst)
	} else {
		b.tokens = math.Min(float64(burst), b.tokens+now.Sub(b.last).Seconds()*rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / rate * float64(time.Second)), false
}

// randomFaultLocked picks the injected error for a call, if any.
func (s *Server) randomFaultLocked(method string) *apiError {
	if s.faults == nil || s.faults.Rate <= 0 || method == "getUpdates" || method == "getMe" {
		return nil
	}
	if s.faultRand.Float64() >= s.faults.Rate {
		return nil
	}
	if s.faultRand.IntN(2) == 0 {
		return &apiError{code: 429, desc: defaultDescription(429, s.faults.RetryAfter), retryAfter: s.faults.RetryAfter}
	}
	return &apiError{code: 502, desc: "Bad Gateway"}
}

// isMessageMethod reports the methods the rate limits count.
func isMessageMethod(method string) bool {
	return method == "sendMessage" || method == "sendPhoto" || method == "sendDocument"
}

// rateLimitLocked applies the rate limits to a valid call at now: nil when
// it may go, else the 429 to answer.
func (s *Server) rateLimitLocked(method string, p *params, now time.Time) *apiError {
	if s.limits == nil || !isMessageMethod(method) {
		return nil
	}
	l := s.limits
	chatID, _ := strconv.ParseInt(p.get("chat_id"), 10, 64)
	if s.chatBuckets == nil {
		s.chatBuckets = map[int64]*bucket{}
	}
	rate, burst := l.PerChat, l.PerChatBurst
	if chatID < 0 {
		rate, burst = l.PerGroup, l.PerGroupBurst
	}
	// Check both before taking either: a refused message uses no budget.
	cb := s.chatBuckets[chatID]
	if cb == nil {
		cb = &bucket{}
		s.chatBuckets[chatID] = cb
	}
	saveChat, saveGlobal := *cb, s.globalBucket
	if rate > 0 {
		if wait, ok := cb.take(now, rate, max(burst, 1)); !ok {
			*cb = saveChat
			return tooMany(wait)
		}
	}
	if l.Global > 0 {
		if wait, ok := s.globalBucket.take(now, l.Global, max(l.GlobalBurst, 1)); !ok {
			*cb, s.globalBucket = saveChat, saveGlobal
			return tooMany(wait)
		}
	}
	return nil
}

// tooMany is Telegram's 429, its retry_after rounded up to whole seconds.
func tooMany(wait time.Duration) *apiError {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	return &apiError{code: 429, desc: defaultDescription(429, secs), retryAfter: secs}
}

package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"golang.org/x/time/rate"

	"github.com/checkinbot/checkinbot/bot/telegramtest"
	"github.com/checkinbot/checkinbot/store/redistest"
)

// newTestSender is a sender on the emulator, sending at most perSecond
// calls a second overall, to chats opened by users firstID, firstID+1, …
func newTestSender(t *testing.T, tg *telegramtest.Server, perSecond float64, users int, firstID int64) *sender {
	t.Helper()
	for i := range users {
		tg.SendText(telegramtest.User{ID: firstID + int64(i), FirstName: "U"}, "hi")
	}
	api, err := tgbotapi.NewBotAPIWithAPIEndpoint(tg.Token(), tg.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	return newSender(api, slog.New(slog.NewTextHandler(io.Discard, nil)), perSecond, true)
}

// newSchedTest starts an emulator with users private chats from firstID
// on, and a sender on it; ctx ends with the test or after a minute.
func newSchedTest(t *testing.T, perSecond float64, users int, firstID int64) (*telegramtest.Server, *sender, context.Context) {
	t.Helper()
	tg := telegramtest.NewServer()
	t.Cleanup(tg.Close)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return tg, newTestSender(t, tg, perSecond, users, firstID), ctx
}

// waitUntil polls cond until it holds or the deadline passes. until it holds or the deadline passes.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	redistest.WaitFor(t, 30*time.Second, what, cond)
}

// sentTexts lists the texts of the successful sendMessage calls in order,
// with the chat each went to.
func sentTexts(tg *telegramtest.Server) (texts []string, chats []int64) {
	for _, c := range tg.Calls("sendMessage") {
		if c.Status == 200 {
			id, _ := strconv.ParseInt(c.Params["chat_id"], 10, 64)
			texts = append(texts, c.Params["text"])
			chats = append(chats, id)
		}
	}
	return texts, chats
}

// TestUrgentSendGoesFirst queues 500 routine messages to 500 chats behind a
// short overall budget, then one crisis reply: it goes out next, ahead of
// every routine message still waiting.
func TestUrgentSendGoesFirst(t *testing.T) {
	tg := telegramtest.NewServer()
	defer tg.Close()
	const routine = 500
	s := newTestSender(t, tg, 50, routine+1, 10_000)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for i := range routine {
		wg.Go(func() {
			rctx := withPriority(ctx, prioRoutine)
			if _, err := s.send(rctx, tgbotapi.NewMessage(10_000+int64(i), "routine")); err != nil {
				t.Error(err)
			}
		})
	}
	waitUntil(t, "the routine messages queue up", func() bool {
		s.sched.mu.Lock()
		defer s.sched.mu.Unlock()
		return len(s.sched.queue) >= routine/2
	})
	s.sched.mu.Lock()
	before := int(s.sched.granted)
	s.sched.mu.Unlock()
	if _, err := s.send(withPriority(ctx, prioUrgent), tgbotapi.NewMessage(10_000+routine, "crisis")); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	texts, _ := sentTexts(tg)
	if len(texts) != routine+1 {
		t.Fatalf("%d messages sent, want %d", len(texts), routine+1)
	}
	at := -1
	for i, text := range texts {
		if text == "crisis" {
			at = i
		}
	}
	// Calls granted the budget before the crisis reply was queued may reach
	// the server first, and a few more while this goroutine goes from
	// reading the count to queueing it: on a busy machine it may wait its
	// turn for a core that long. slack allows 200 ms of that at 50 a
	// second; a crisis reply not put first would go about 250 messages
	// later.
	const slack = 10
	t.Logf("crisis reply sent %d-th of %d; %d routine messages had the budget when it was queued", at+1, len(texts), before)
	if at > before+slack {
		t.Errorf("crisis reply went out %d-th, after %d routine messages that were still waiting when it was queued", at+1, at-before)
	}
}

// TestSendsKeepTelegramLimits sends 30 messages to each of three chats at
// once against an emulator enforcing Telegram's limits: none is refused
// with 429, and each chat gets its messages in order.
func TestSendsKeepTelegramLimits(t *testing.T) {
	tg := telegramtest.NewServer(telegramtest.WithRateLimits(telegramtest.TelegramLimits))
	defer tg.Close()
	const chats, each = 3, 30
	s := newTestSender(t, tg, defaultSendRate, chats, 20_000)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for c := range chats {
		wg.Go(func() {
			for i := range each {
				if _, err := s.send(ctx, tgbotapi.NewMessage(20_000+int64(c), fmt.Sprint(i))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, c := range tg.Calls("sendMessage") {
		if c.Status == 429 {
			t.Errorf("Telegram refused a message: %s", c.Error)
		}
	}
	texts, ids := sentTexts(tg)
	next := map[int64]int{}
	for i, text := range texts {
		if want := fmt.Sprint(next[ids[i]]); text != want {
			t.Fatalf("chat %d got message %s, want %s: out of order", ids[i], text, want)
		}
		next[ids[i]]++
	}
	if len(texts) != chats*each {
		t.Errorf("%d messages sent, want %d", len(texts), chats*each)
	}
}

// TestTooManyDelaysOnlyItsChat has Telegram answer one chat's message 429
// with retry_after 2: another chat's message sent after that goes out
// before the first chat's retry.
func TestTooManyDelaysOnlyItsChat(t *testing.T) {
	tg, s, ctx := newSchedTest(t, defaultSendRate, 2, 30_000)
	tg.FailNext("sendMessage", 1, telegramtest.Failure{Code: 429, RetryAfter: 2})
	done := make(chan error, 1)
	go func() {
		_, err := s.send(ctx, tgbotapi.NewMessage(30_000, "held"))
		done <- err
	}()
	waitUntil(t, "the first chat is refused", func() bool { return len(tg.Calls("sendMessage")) > 0 })
	if _, err := s.send(ctx, tgbotapi.NewMessage(30_001, "free")); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	texts, _ := sentTexts(tg)
	if strings.Join(texts, ",") != "free,held" {
		t.Errorf("messages went out as %v, want the other chat's first", texts)
	}
}

// TestUrgentOvertakesInItsChat queues routine messages to one chat beyond
// its budget, then a crisis reply to the same chat: it goes out before the
// routine messages still waiting.
func TestUrgentOvertakesInItsChat(t *testing.T) {
	tg, s, ctx := newSchedTest(t, defaultSendRate, 1, 40_000)
	const routine = 14
	var wg sync.WaitGroup
	for i := range routine {
		wg.Go(func() {
			if _, err := s.send(withPriority(ctx, prioRoutine), tgbotapi.NewMessage(40_000, fmt.Sprint(i))); err != nil {
				t.Error(err)
			}
		})
	}
	var waiting int
	waitUntil(t, "routine messages wait for the chat's budget", func() bool {
		s.sched.mu.Lock()
		defer s.sched.mu.Unlock()
		if l := s.sched.chats[40_000]; l != nil {
			waiting = len(l.waiting)
		}
		return waiting >= 3
	})
	if _, err := s.send(withPriority(ctx, prioUrgent), tgbotapi.NewMessage(40_000, "crisis")); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	texts, _ := sentTexts(tg)
	at := slices.Index(texts, "crisis")
	after := len(texts) - at - 1
	t.Logf("crisis reply sent %d-th of %d; %d routine messages were waiting, %d went after it", at+1, len(texts), waiting, after)
	if after < waiting-1 {
		t.Errorf("only %d routine messages went after the crisis reply; %d were waiting", after, waiting)
	}
}

// TestUrgentLiftsItsChatsTurnHolder has a chat's ROUTINE message hold the
// chat's turn while it waits for the overall budget, which replies to other
// chats keep busy; an URGENT message then comes for the same chat. The
// ROUTINE one waits at the URGENT one's priority from then on (priority
// inheritance), so both go before the replies queued ahead of them, rather
// than the URGENT one waiting for every reply.
func TestUrgentLiftsItsChatsTurnHolder(t *testing.T) {
	tg := telegramtest.NewServer()
	defer tg.Close()
	const clinic, others, replies = 40_000, 10, 20
	s := newTestSender(t, tg, 5, others+1, clinic)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	send := func(p priority, chat int64, text string) {
		wg.Go(func() {
			if _, err := s.send(withPriority(ctx, p), tgbotapi.NewMessage(chat, text)); err != nil {
				t.Error(err)
			}
		})
	}
	for i := range replies {
		send(prioReply, clinic+1+int64(i%others), fmt.Sprint("reply ", i))
	}
	waitUntil(t, "replies wait for the overall budget", func() bool {
		s.sched.mu.Lock()
		defer s.sched.mu.Unlock()
		return len(s.sched.queue) >= replies/2
	})
	send(prioRoutine, clinic, "routine")
	waitUntil(t, "the routine message waits for the overall budget in its chat's turn", func() bool {
		s.sched.mu.Lock()
		defer s.sched.mu.Unlock()
		l := s.sched.chats[clinic]
		return l != nil && l.queued != nil
	})
	send(prioUrgent, clinic, "urgent")
	wg.Wait()
	texts, _ := sentTexts(tg)
	at := slices.Index(texts, "urgent")
	after := len(texts) - at - 1
	t.Logf("urgent message sent %d-th of %d; %d replies went after it", at+1, len(texts), after)
	if after < replies/2-2 {
		t.Errorf("only %d replies went after the urgent message; it waited behind the others' replies", after)
	}
}

// slowChatSender is a sender on the emulator whose private chats get burst
// messages at once and then one every interval, so that a test can see who
// gets a chat's next slot.
func slowChatSender(t *testing.T, tg *telegramtest.Server, burst int, interval time.Duration, firstID int64) *sender {
	t.Helper()
	s := newTestSender(t, tg, defaultSendRate, 1, firstID)
	slow := chatLimits{private: rate.Every(interval), privateBurst: burst, group: rate.Every(interval), groupN: burst}
	s.sched = newSendScheduler(defaultSendRate, slow)
	return s
}

// TestRefusedSendKeepsItsSlot has Telegram refuse a chat's message (429, or
// 502) once: Telegram did not deliver it, so its retry uses the slot the
// refused attempt took, and the chat's next message still has its own. The
// chat's budget is two messages and then one an hour: charging the refused
// attempt too would hold the second message for an hour.
func TestRefusedSendKeepsItsSlot(t *testing.T) {
	for _, refusal := range []telegramtest.Failure{{Code: 429, RetryAfter: 1}, {Code: 502}} {
		t.Run(strconv.Itoa(refusal.Code), func(t *testing.T) {
			tg := telegramtest.NewServer()
			defer tg.Close()
			const chat = 50_000
			s := slowChatSender(t, tg, 2, time.Hour, chat)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			tg.FailNext("sendMessage", 1, refusal)
			for _, text := range []string{"refused once", "next"} {
				if _, err := s.send(ctx, tgbotapi.NewMessage(chat, text)); err != nil {
					t.Fatalf("%q: %v", text, err)
				}
			}
			texts, _ := sentTexts(tg)
			if strings.Join(texts, ",") != "refused once,next" {
				t.Errorf("delivered %q, want both messages in order", texts)
			}
			if n := len(tg.Calls("sendMessage")); n != 3 {
				t.Errorf("%d sendMessage calls, want 3 (one refused)", n)
			}
		})
	}
}

// TestUrgentTakesItsChatsNextSlot has a chat's ROUTINE message hold the
// chat's turn while it waits for the chat's budget (spent); an URGENT
// message then comes for the same chat: it takes the chat's next slot, and
// the ROUTINE one the slot after.
func TestUrgentTakesItsChatsNextSlot(t *testing.T) {
	tg := telegramtest.NewServer()
	defer tg.Close()
	const chat = 51_000
	s := slowChatSender(t, tg, 1, 3*time.Second, chat)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.send(withPriority(ctx, prioRoutine), tgbotapi.NewMessage(chat, "spends the budget")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	send := func(p priority, text string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.send(withPriority(ctx, p), tgbotapi.NewMessage(chat, text)); err != nil {
				t.Error(err)
			}
		}()
	}
	send(prioRoutine, "routine")
	waitUntil(t, "the routine message holds the chat's turn", func() bool {
		s.sched.mu.Lock()
		defer s.sched.mu.Unlock()
		l := s.sched.chats[chat]
		return l != nil && l.busy
	})
	send(prioUrgent, "urgent")
	wg.Wait()
	texts, _ := sentTexts(tg)
	if strings.Join(texts, ",") != "spends the budget,urgent,routine" {
		t.Errorf("delivered %q, want the urgent message in the chat's next slot", texts)
	}
}

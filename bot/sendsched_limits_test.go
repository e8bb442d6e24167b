package bot

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/checkinbot/checkinbot/bot/telegramtest"
)

// TestCrisisWithinASecondOf500Routine is issue 13's priority test, on an
// emulator enforcing Telegram's limits: 500 routine messages are queued
// (five each to 100 chats), then a crisis reply to one of those chats. It
// goes out within one second's worth of the overall budget (by the
// scheduler's order, not the wall clock: no more than defaultSendRate
// routine messages reach Telegram between its queueing and its sending),
// and Telegram refuses nothing: no chat, and not the bot, exceeded its rate.
func TestCrisisWithinASecondOf500Routine(t *testing.T) {
	tg := telegramtest.NewServer(telegramtest.WithRateLimits(telegramtest.TelegramLimits))
	defer tg.Close()
	const chats, each, first = 100, 5, 40_000
	s := newTestSender(t, tg, defaultSendRate, chats, first)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	routine, stopRoutine := context.WithCancel(withPriority(ctx, prioRoutine))
	var wg sync.WaitGroup
	for c := range chats {
		for range each {
			wg.Go(func() {
				_, err := s.send(routine, tgbotapi.NewMessage(first+int64(c), "routine"))
				if err != nil && !errors.Is(err, context.Canceled) {
					t.Error(err)
				}
			})
		}
	}
	waitUntil(t, "all routine messages are queued or sent", func() bool {
		sent, _ := sentTexts(tg)
		s.sched.mu.Lock()
		defer s.sched.mu.Unlock()
		queued := 0
		for _, lane := range s.sched.chats {
			queued += lane.users
		}
		return queued+len(sent) >= chats*each && queued > chats*each/2
	})
	sentBefore, _ := sentTexts(tg)
	queuedAt := time.Now()
	if _, err := s.send(withPriority(ctx, prioUrgent), tgbotapi.NewMessage(first, "crisis")); err != nil {
		t.Fatal(err)
	}
	stopRoutine()
	wg.Wait()
	texts, ids := sentTexts(tg)
	at := -1
	for i, text := range texts {
		if text == "crisis" && ids[i] == first {
			at = i
		}
	}
	ahead := at - len(sentBefore)
	t.Logf("crisis reply sent %d-th; %d routine messages went out between its queueing and it (%v by the wall clock); %d routine sent in all",
		at+1, ahead, time.Since(queuedAt).Round(time.Millisecond), len(texts)-1)
	if at < 0 || ahead > defaultSendRate {
		t.Errorf("crisis reply went out after %d routine messages queued before it: more than a second of the budget (%d)", ahead, defaultSendRate)
	}
	for _, c := range tg.Calls("sendMessage") {
		if c.Status == 429 {
			t.Errorf("Telegram refused a message for its rate: %s", c.Error)
		}
	}
}

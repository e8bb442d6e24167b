//go:build fault

package main

import (
	"testing"
	"time"
)

// fullRun is the fault run: 200 patients at a human pace, 6 kills
// of the bot, a Redis restart, 20% of Telegram calls failing and a chat
// sending 300 messages in 12 s; it holds the run to the latency targets.
var fullRun = faultRun{
	patients: 200, spread: 200 * time.Second, think: [2]time.Duration{2 * time.Second, 6 * time.Second},
	selfHarmEvery: 4, kills: 6, redisRestart: true, errorRate: 0.2,
	flood: 300, floodFor: 12 * time.Second, replyWait: 20 * time.Second, seed: 2,
	strictReplies: true, targets: true,
}

// TestFaultSuiteFull runs the full size:
//
//	go test -tags fault -run FaultSuiteFull -v -timeout 30m ./cmd/checkinbot
func TestFaultSuiteFull(t *testing.T) {
	runFaultSuite(t, fullRun)
}

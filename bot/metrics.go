package bot

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/checkinbot/checkinbot/store"
)

// metrics are the bot's Prometheus metrics: counts and latencies only,
// never anything about who or what.
type metrics struct {
	updates     *prometheus.CounterVec
	handleTime  prometheus.Histogram
	escalations *prometheus.CounterVec
	telegram    *prometheus.CounterVec

	queued       prometheus.Gauge
	floodDropped prometheus.Counter
	windowFull   prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "checkinbot", Name: "updates_total",
			Help: "Telegram updates handled, by kind (message, callback, other) and result (ok, failed).",
		}, []string{"kind", "result"}),
		handleTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "checkinbot", Name: "update_handling_seconds",
			Help:    "Time to handle one update completely: load, engine step, commit and replies.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		escalations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "checkinbot", Name: "escalations_total",
			Help: "Escalation events, by level and event (delivered, acknowledged).",
		}, []string{"level", "event"}),
		telegram: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "checkinbot", Name: "telegram_calls_total",
			Help: "Bot API calls, by method and result (ok, retried, failed).",
		}, []string{"method", "result"}),
		queued: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "checkinbot", Name: "intake_unsettled_updates",
			Help: "Updates taken in by long polling and not yet settled (queued or being handled).",
		}),
		floodDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "checkinbot", Name: "intake_flood_dropped_total",
			Help: "Updates dropped by the per-chat flood limit (never a message the crisis screen matches).",
		}),
		windowFull: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "checkinbot", Name: "intake_window_full_total",
			Help: "Polls that found Telegram's window of 100 updates behind the oldest unsettled one full: new updates waited.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.updates, m.handleTime, m.escalations, m.telegram, m.queued, m.floodDropped, m.windowFull)
	}
	return m
}

// updateKind names an update's kind for metrics.
func updateKind(hasMessage, hasCallback bool) string {
	switch {
	case hasCallback:
		return "callback"
	case hasMessage:
		return "message"
	default:
		return "other"
	}
}

// registerRuntimeMetrics adds to reg what is read when scraped: Go and
// process metrics, Redis round trips, and the escalations no clinician has
// acknowledged (read from Redis, -1 when it does not answer).
func registerRuntimeMetrics(reg prometheus.Registerer, st *store.Store) {
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: "checkinbot", Name: "redis_round_trips_total",
			Help: "Round trips to Redis (a command or a pipeline is one).",
		}, func() float64 { return float64(st.RoundTrips()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: "checkinbot", Name: "escalations_unacknowledged",
			Help: "Escalations no clinician has acknowledged yet (alert when it stays above 0).",
		}, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := st.UnacknowledgedCount(ctx)
			if err != nil {
				return -1 // Redis unreachable: /healthz says so too
			}
			return float64(n)
		}))
}

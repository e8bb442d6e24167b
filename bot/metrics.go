package bot

import (
	"github.com/prometheus/client_golang/prometheus"
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

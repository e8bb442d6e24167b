package bot

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"

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
	f := promauto.With(reg) // with a nil reg: made, not registered
	return &metrics{
		updates: f.NewCounterVec(prometheus.CounterOpts(opts("updates_total",
			"Telegram updates handled, by kind (message, callback, other) and result (ok, failed).")),
			[]string{"kind", "result"}),
		handleTime: f.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "update_handling_seconds",
			Help:    "Time to handle one update completely: load, engine step, commit and replies.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		escalations: f.NewCounterVec(prometheus.CounterOpts(opts("escalations_total",
			"Escalation events, by level and event (delivered, acknowledged).")),
			[]string{"level", "event"}),
		telegram: f.NewCounterVec(prometheus.CounterOpts(opts("telegram_calls_total",
			"Bot API calls, by method and result (ok, retried, failed).")),
			[]string{"method", "result"}),

		queued: f.NewGauge(prometheus.GaugeOpts(opts("intake_unsettled_updates",
			"Updates taken in by long polling and not yet settled (queued or being handled)."))),
		floodDropped: f.NewCounter(prometheus.CounterOpts(opts("intake_flood_dropped_total",
			"Updates dropped by the per-chat flood limit (never a message the crisis screen matches)."))),
		windowFull: f.NewCounter(prometheus.CounterOpts(opts("intake_window_full_total",
			"Polls that found Telegram's window of 100 updates behind the oldest unsettled one full: new updates waited."))),
	}
}

// namespace prefixes every metric's name.
const namespace = "checkinbot"

// opts names a metric checkinbot_<name> and says what it counts.
func opts(name, help string) prometheus.Opts {
	return prometheus.Opts{Namespace: namespace, Name: name, Help: help}
}

// registerRuntimeMetrics adds to reg what is read when scraped: Go and
// process metrics, Redis round trips, and the escalations no clinician has
// acknowledged (read from Redis, -1 when it does not answer).
func registerRuntimeMetrics(reg prometheus.Registerer, st *store.Store) {
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewCounterFunc(prometheus.CounterOpts(opts("redis_round_trips_total",
			"Round trips to Redis (a command or a pipeline is one).")),
			func() float64 { return float64(st.RoundTrips()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts(opts("escalations_unacknowledged",
			"Escalations no clinician has acknowledged yet (alert when it stays above 0).")), func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := st.UnacknowledgedCount(ctx)
			if err != nil {
				return -1 // Redis unreachable: /healthz says so too
			}
			return float64(n)
		}))
}

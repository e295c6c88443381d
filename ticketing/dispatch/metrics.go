package dispatch

import (
	"context"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the dispatch figures in /metrics: tasks by outcome and
// duration, relay throughput, and on each scrape the queue sizes and
// latency from Redis and the outbox backlog from PostgreSQL.
type Metrics struct {
	tasks      *prometheus.CounterVec
	duration   *prometheus.HistogramVec
	relayedN   prometheus.Counter
	relayFails prometheus.Counter
}

// QueueReader reads queue statistics (asynq.Inspector does).
type QueueReader interface {
	Queues() ([]string, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

// NewMetrics registers the dispatch metrics on reg.
func NewMetrics(reg prometheus.Registerer, queues QueueReader, store Store) (*Metrics, error) {
	m := &Metrics{
		tasks: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hotline_dispatch_tasks_total",
			Help: "Dispatch tasks processed, by type and outcome (ok, retry, failed)."}, []string{"type", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "hotline_dispatch_task_seconds",
			Help:    "Time to process one dispatch task, by type.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12)}, []string{"type"}),
		relayedN: prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_outbox_relayed_total",
			Help: "Outbox messages moved into the queue."}),
		relayFails: prometheus.NewCounter(prometheus.CounterOpts{Name: "hotline_outbox_relay_errors_total",
			Help: "Relay rounds stopped by an error (Redis or PostgreSQL unavailable)."}),
	}
	for _, c := range []prometheus.Collector{m.tasks, m.duration, m.relayedN, m.relayFails, &queueCollector{queues, store}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) relayed(n int, err error) {
	if m == nil {
		return
	}
	m.relayedN.Add(float64(n))
	if err != nil {
		m.relayFails.Inc()
	}
}

func (m *Metrics) processed(typ, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.tasks.WithLabelValues(typ, outcome).Inc()
	m.duration.WithLabelValues(typ).Observe(d.Seconds())
}

var (
	queueTasksDesc = prometheus.NewDesc("hotline_queue_tasks",
		"Tasks in each Asynq queue by state.", []string{"queue", "state"}, nil)
	queueLatencyDesc = prometheus.NewDesc("hotline_queue_latency_seconds",
		"Age of the oldest pending task in each queue.", []string{"queue"}, nil)
	outboxBacklogDesc = prometheus.NewDesc("hotline_outbox_backlog",
		"Outbox messages not yet moved into the queue.", nil, nil)
)

// queueCollector reads the queues and the outbox at scrape time; a source
// that cannot be reached is left out of the scrape.
type queueCollector struct {
	queues QueueReader
	store  Store
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueTasksDesc
	ch <- queueLatencyDesc
	ch <- outboxBacklogDesc
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	for _, q := range []string{QueueUrgent, QueueDefault, QueueLow} {
		info, err := c.queues.GetQueueInfo(q)
		if err != nil {
			continue // unknown to Redis until first used, or Redis is down
		}
		for state, n := range map[string]int{"pending": info.Pending, "active": info.Active,
			"scheduled": info.Scheduled, "retry": info.Retry, "archived": info.Archived} {
			ch <- prometheus.MustNewConstMetric(queueTasksDesc, prometheus.GaugeValue, float64(n), q, state)
		}
		ch <- prometheus.MustNewConstMetric(queueLatencyDesc, prometheus.GaugeValue, info.Latency.Seconds(), q)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if n, err := c.store.OutboxBacklog(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(outboxBacklogDesc, prometheus.GaugeValue, float64(n))
	}
}

package agentui

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/open12345/hotline/errs"
	"github.com/open12345/hotline/internal/httpx"
	"github.com/open12345/hotline/ticketing"
)

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry, tickets *ticketing.Service) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hotline_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"method", "route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hotline_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, &ticketCollector{tickets: tickets}} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// observe records one request under its route pattern, never its raw path,
// and under a known method, so that neither IDs in paths nor made-up
// methods explode the number of series.
func (m *metrics) observe(r *http.Request, status int, d time.Duration) {
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	method := methodLabel(r.Method)
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(method, route).Observe(d.Seconds())
}

// methodLabel is the method as a label: anything but the standard methods
// is "other", so made-up methods cannot grow the number of series.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// metricsHandler serves the registry; with a token, only to requests that
// carry it as their bearer token (compared in constant time).
func metricsHandler(reg *prometheus.Registry, token string, log *slog.Logger) http.Handler {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	if token == "" {
		return h
	}
	want := sha256.Sum256([]byte("Bearer " + token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(r.Header.Get("Authorization")))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			httpx.WriteError(w, r, log, errs.E(errs.Unauthorized, "metrics need Authorization: Bearer <HOTLINE_METRICS_TOKEN>"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

var ticketsDesc = prometheus.NewDesc("hotline_tickets", "Open tickets by status (accepted, dispatched, in_progress, returned, replied).", []string{"status"}, nil)

// ticketCollector counts open tickets by status when scraped.
type ticketCollector struct {
	tickets *ticketing.Service
}

func (c *ticketCollector) Describe(ch chan<- *prometheus.Desc) { ch <- ticketsDesc }

func (c *ticketCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.tickets.CountOpen(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(ticketsDesc, err)
		return
	}
	for _, st := range ticketing.OpenStatuses {
		ch <- prometheus.MustNewConstMetric(ticketsDesc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}

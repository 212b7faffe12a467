package jobs

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	runs        *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	lastSuccess *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parcours_job_runs_total",
			Help: "Runs of periodic jobs executed by this instance, by job and outcome.",
		}, []string{"job", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "parcours_job_run_duration_seconds",
			Help:    "Duration of periodic job runs executed by this instance.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 10, 30, 60, 300, 900, 1800},
		}, []string{"job"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "parcours_job_last_success_timestamp_seconds",
			Help: "Unix time of the last successful run of each job on this instance.",
		}, []string{"job"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	m.runs, err = register(reg, m.runs)
	if err != nil {
		return nil, err
	}
	m.duration, err = register(reg, m.duration)
	if err != nil {
		return nil, err
	}
	m.lastSuccess, err = register(reg, m.lastSuccess)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector already registered under the same name so
// that two runners of one process (tests, a CLI command beside the server) share the series.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var already prometheus.AlreadyRegisteredError
		if errors.As(err, &already) {
			if existing, ok := already.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, fmt.Errorf("métriques des tâches : %w", err)
	}
	return c, nil
}

func (m *metrics) observe(job string, outcome Outcome, elapsed time.Duration, now time.Time) {
	m.runs.WithLabelValues(job, string(outcome)).Inc()
	m.duration.WithLabelValues(job).Observe(elapsed.Seconds())
	if outcome == Succeeded {
		m.lastSuccess.WithLabelValues(job).Set(float64(now.Unix()))
	}
}

package notify

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	sent, failed, retried prometheus.Counter
	queue                 prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		sent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parcours_mail_sent_total", Help: "E-mails accepted by the SMTP relay.",
		}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parcours_mail_failed_total", Help: "E-mails given up (permanent refusal or too old).",
		}),
		retried: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parcours_mail_retried_total", Help: "E-mail delivery attempts postponed after a temporary failure.",
		}),
		queue: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "parcours_mail_queue_depth", Help: "E-mails pending or being sent, as last seen by this instance.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	if m.sent, err = register(reg, m.sent); err != nil {
		return nil, err
	}
	if m.failed, err = register(reg, m.failed); err != nil {
		return nil, err
	}
	if m.retried, err = register(reg, m.retried); err != nil {
		return nil, err
	}
	if m.queue, err = register(reg, m.queue); err != nil {
		return nil, err
	}
	return m, nil
}

// register registers c, or returns the collector already registered under the same name so
// that two deliverers of one process share the series.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var already prometheus.AlreadyRegisteredError
		if errors.As(err, &already) {
			if existing, ok := already.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, fmt.Errorf("métriques des messages : %w", err)
	}
	return c, nil
}

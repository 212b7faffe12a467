package notify

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"regexp"
	"strconv"
	"time"
)

// SMTP configures the relay the platform sends through. An empty Host disables sending.
type SMTP struct {
	Host string
	Port int // default 587 with starttls, 465 with tls, 25 otherwise
	// Username and Password enable AUTH PLAIN. net/smtp sends them only over TLS or to localhost.
	Username, Password string
	// From is the sender, e.g. "Parcours <ne-pas-repondre@parcours.example.fr>".
	From string
	// TLS is "none", "starttls" (the default) or "tls" (implicit TLS, port 465).
	TLS string
	// HELO is the name this host gives in EHLO (default "localhost").
	HELO string
	// DialTimeout bounds the connection (default 10 s); Timeout bounds each message's
	// conversation (default 60 s).
	DialTimeout, Timeout time.Duration
	// TLSConfig overrides the TLS settings, e.g. to trust a private authority. Its ServerName
	// defaults to Host.
	TLSConfig *tls.Config
}

// TLS modes.
const (
	TLSNone     = "none"
	TLSStartTLS = "starttls"
	TLSImplicit = "tls"
)

// Enabled tells whether a relay is configured.
func (c SMTP) Enabled() bool { return c.Host != "" }

// withDefaults fills in the defaults and checks the configuration.
func (c SMTP) withDefaults() (SMTP, *mail.Address, error) {
	if c.TLS == "" {
		c.TLS = TLSStartTLS
	}
	switch c.TLS {
	case TLSNone, TLSStartTLS, TLSImplicit:
	default:
		return c, nil, fmt.Errorf("SMTP : mode TLS %q inconnu (none, starttls ou tls)", c.TLS)
	}
	if c.Port == 0 {
		c.Port = map[string]int{TLSNone: 25, TLSStartTLS: 587, TLSImplicit: 465}[c.TLS]
	}
	if c.Port < 1 || c.Port > 65535 {
		return c, nil, fmt.Errorf("SMTP : port %d invalide", c.Port)
	}
	if c.HELO == "" {
		c.HELO = "localhost"
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 10 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 60 * time.Second
	}
	from, err := mail.ParseAddress(c.From)
	if err != nil {
		return c, nil, fmt.Errorf("SMTP : expéditeur %q invalide : %w", c.From, err)
	}
	return c, from, nil
}

func (c SMTP) tlsConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.TLSConfig != nil {
		cfg = c.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = c.Host
	}
	return cfg
}

// sendError is a failed SMTP step, described without the server's free text (which often
// quotes the recipient's address).
type sendError struct {
	stage     string // CONNECT, TLS, EHLO, AUTH, MAIL, RCPT, DATA, RSET
	code      int    // SMTP reply code, 0 for network errors
	enhanced  string // RFC 3463 status, e.g. "5.1.1", when the server gave one
	permanent bool
	err       error
}

func (e *sendError) Error() string { return e.summary() }
func (e *sendError) Unwrap() error { return e.err }

// summary is what goes into outbox.last_error and logs.
func (e *sendError) summary() string {
	switch {
	case e.code != 0 && e.enhanced != "":
		return fmt.Sprintf("%s %d %s", e.stage, e.code, e.enhanced)
	case e.code != 0:
		return fmt.Sprintf("%s %d", e.stage, e.code)
	}
	var ne net.Error
	switch {
	case errors.As(e.err, &ne) && ne.Timeout():
		return e.stage + " délai dépassé"
	case errors.Is(e.err, context.Canceled), errors.Is(e.err, context.DeadlineExceeded):
		return e.stage + " interrompu"
	default:
		return e.stage + " erreur réseau"
	}
}

var enhancedCode = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}\b`)

// stageError classifies err from a step. Only a 5xx refusal of the recipient or of the content
// is permanent: a 5xx to EHLO, AUTH or MAIL FROM says the relay or our configuration is wrong,
// which an operator fixes, so those messages wait for a retry instead of failing for good.
func stageError(stage string, err error) *sendError {
	e := &sendError{stage: stage, err: err}
	var tp *textproto.Error
	if errors.As(err, &tp) {
		e.code = tp.Code
		e.enhanced = enhancedCode.FindString(tp.Msg)
		e.permanent = tp.Code >= 500 && (stage == "RCPT" || stage == "DATA")
	}
	return e
}

// session is one SMTP connection, reused for a batch of messages.
type session struct {
	cfg    SMTP
	conn   net.Conn
	client *smtp.Client
}

// dial connects, says EHLO, starts TLS and authenticates as configured.
func dial(ctx context.Context, cfg SMTP) (*session, error) {
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	d := &net.Dialer{Timeout: cfg.DialTimeout}
	var conn net.Conn
	var err error
	if cfg.TLS == TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: d, Config: cfg.tlsConfig()}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, stageError("CONNECT", err)
	}
	_ = conn.SetDeadline(time.Now().Add(cfg.Timeout))
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		conn.Close()
		return nil, stageError("CONNECT", err)
	}
	s := &session{cfg: cfg, conn: conn, client: c}
	if err := c.Hello(cfg.HELO); err != nil {
		s.close()
		return nil, stageError("EHLO", err)
	}
	if cfg.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			s.close()
			return nil, &sendError{stage: "TLS", err: errors.New("STARTTLS non proposé par le serveur")}
		}
		if err := c.StartTLS(cfg.tlsConfig()); err != nil {
			s.close()
			return nil, stageError("TLS", err)
		}
	}
	if cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", cfg.Username, cfg.Password, cfg.Host)); err != nil {
			s.close()
			return nil, stageError("AUTH", err)
		}
	}
	return s, nil
}

// send transmits one message. After a refusal the session stays usable (send resets it); after
// a network error it does not, which reusable reports.
func (s *session) send(from, to string, msg []byte) (err error) {
	_ = s.conn.SetDeadline(time.Now().Add(s.cfg.Timeout))
	defer func() {
		if err != nil {
			if rerr := s.client.Reset(); rerr != nil {
				s.close()
			}
		}
	}()
	if err := s.client.Mail(from); err != nil {
		return stageError("MAIL", err)
	}
	if err := s.client.Rcpt(to); err != nil {
		return stageError("RCPT", err)
	}
	w, err := s.client.Data()
	if err != nil {
		return stageError("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		w.Close()
		return stageError("DATA", err)
	}
	if err := w.Close(); err != nil {
		return stageError("DATA", err)
	}
	return nil
}

// reusable tells whether the connection can carry another message.
func (s *session) reusable() bool { return s.client != nil }

func (s *session) close() {
	if s.client == nil {
		return
	}
	_ = s.conn.SetDeadline(time.Now().Add(5 * time.Second))
	_ = s.client.Quit()
	_ = s.client.Close()
	s.client = nil
}

package notify

import (
	"bytes"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"

	"parcours/internal/clock"
)

// envelope is what buildMessage needs besides the bodies.
type envelope struct {
	from    *mail.Address
	to      string
	subject string
	id      string // the outbox id, reused in Message-ID so that a resend is recognisable
	date    time.Time
}

// buildMessage writes an RFC 5322 message: multipart/alternative with a text and an HTML part,
// both UTF-8 quoted-printable, and an RFC 2047 encoded subject. Lines end with CRLF.
func buildMessage(env envelope, text, html string) ([]byte, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, part := range []struct{ contentType, content string }{
		{"text/plain; charset=utf-8", text},
		{"text/html; charset=utf-8", html},
	} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.contentType},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(w)
		if _, err := qp.Write([]byte(part.content)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}

	var msg bytes.Buffer
	header := func(name, value string) { fmt.Fprintf(&msg, "%s: %s\r\n", name, value) }
	header("From", env.from.String())
	header("To", (&mail.Address{Address: env.to}).String())
	header("Subject", encodeSubject(env.subject))
	header("Date", env.date.In(clock.Paris).Format(time.RFC1123Z))
	header("Message-ID", "<"+env.id+"@"+domainOf(env.from.Address)+">")
	header("MIME-Version", "1.0")
	// Folded: the random boundary would push the line past 78 characters.
	header("Content-Type", "multipart/alternative;\r\n boundary=\""+mw.Boundary()+"\"")
	// RFC 3834: tells auto-responders (out-of-office replies) not to answer.
	header("Auto-Submitted", "auto-generated")
	header("X-Auto-Response-Suppress", "All")
	msg.WriteString("\r\n")
	msg.Write(body.Bytes())
	return msg.Bytes(), nil
}

// encodeSubject Q-encodes a subject that needs it and folds between encoded words, each at most
// 75 characters, so that no header line is over-long.
func encodeSubject(s string) string {
	enc := mime.QEncoding.Encode("utf-8", s)
	return strings.ReplaceAll(enc, "?= =?", "?=\r\n =?")
}

func domainOf(addr string) string {
	if at := strings.LastIndexByte(addr, '@'); at >= 0 && at < len(addr)-1 {
		return addr[at+1:]
	}
	return "parcours.invalid"
}

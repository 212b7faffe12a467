package smtptest_test

import (
	"errors"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"parcours/internal/notify/smtptest"
)

func TestServerReceivesAndUnstuffsDots(t *testing.T) {
	srv := smtptest.Start(t)
	msg := "Subject: essai\r\nFrom: a@example.org\r\n\r\nligne 1\r\n.commence par un point\r\n..deux points\r\n"
	if err := smtp.SendMail(srv.Addr(), nil, "a@example.org", []string{"b@example.org", "c@example.org"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	msgs, err := srv.WaitFor(1, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	m := msgs[0]
	if m.From != "a@example.org" || strings.Join(m.To, ",") != "b@example.org,c@example.org" {
		t.Fatalf("envelope %q -> %q", m.From, m.To)
	}
	if string(m.Data) != msg {
		t.Fatalf("data %q, want %q", m.Data, msg)
	}
	if m.Header.Get("Subject") != "essai" || !strings.Contains(string(m.Body), "\r\n..deux points") {
		t.Fatalf("parsed: %v %q", m.Header, m.Body)
	}
}

func TestServerFaultInjection(t *testing.T) {
	srv := smtptest.Start(t)
	srv.FailNext(1, 451)
	srv.RejectRecipient("Refuse@example.org", 550)
	send := func(to string) error {
		return smtp.SendMail(srv.Addr(), nil, "a@example.org", []string{to}, []byte("Subject: x\r\n\r\nx\r\n"))
	}
	var tp *textproto.Error
	if err := send("b@example.org"); !errors.As(err, &tp) || tp.Code != 451 {
		t.Fatalf("first DATA: %v", err)
	}
	if err := send("refuse@example.org"); !errors.As(err, &tp) || tp.Code != 550 {
		t.Fatalf("rejected recipient: %v", err)
	}
	if err := send("b@example.org"); err != nil {
		t.Fatalf("after the injected failures: %v", err)
	}
	if _, err := srv.WaitFor(2, 50*time.Millisecond); err == nil {
		t.Fatal("WaitFor(2) succeeded with one message")
	}
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d messages", n)
	}
}

func TestServerRequiresAuthWhenAsked(t *testing.T) {
	srv := smtptest.Start(t)
	srv.RequireAuth("u", "p")
	msg := []byte("Subject: x\r\n\r\nx\r\n")
	if err := smtp.SendMail(srv.Addr(), nil, "a@example.org", []string{"b@example.org"}, msg); err == nil {
		t.Fatal("sent without authentication")
	}
	if err := smtp.SendMail(srv.Addr(), smtp.PlainAuth("", "u", "bad", "127.0.0.1"), "a@example.org", []string{"b@example.org"}, msg); err == nil {
		t.Fatal("sent with a wrong password")
	}
	if err := smtp.SendMail(srv.Addr(), smtp.PlainAuth("", "u", "p", "127.0.0.1"), "a@example.org", []string{"b@example.org"}, msg); err != nil {
		t.Fatal(err)
	}
}

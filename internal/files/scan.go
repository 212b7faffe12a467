package files

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"parcours/internal/fault"
)

// ScanStatus says whether a stored file went through the antivirus.
type ScanStatus string

// The statuses. An infected file is never stored, so it has none.
const (
	// NotScanned: no antivirus was configured when the file was stored.
	NotScanned ScanStatus = "not_scanned"
	// Clean: the antivirus found nothing.
	Clean ScanStatus = "clean"
)

// Verdict is an antivirus answer.
type Verdict struct {
	Infected bool
	// Signature names what was found ("Eicar-Test-Signature"), when Infected.
	Signature string
}

// Scanner checks content for malware. A Scanner that cannot answer returns an error, and the
// upload is refused: once an antivirus is configured, nothing is stored unscanned.
type Scanner interface {
	Scan(ctx context.Context, content io.Reader) (Verdict, error)
}

// Clamd is a Scanner speaking to a ClamAV daemon with the INSTREAM command (clamd(8)): the
// content goes in chunks, each prefixed by its length as a 4-byte big-endian integer, ended
// by a zero-length chunk; clamd answers "stream: OK", "stream: NAME FOUND" or "… ERROR".
// Commands use the "z" prefix, so every message is NUL-terminated.
type Clamd struct {
	network, address string
	// timeout bounds a whole scan when the context has no earlier deadline.
	timeout time.Duration
}

// clamdChunk is the INSTREAM chunk size; clamd's StreamMaxLength (25 MB by default) bounds the
// total, above MaxSize.
const clamdChunk = 64 << 10

// clamdTimeout bounds a scan: a 20 MB PDF takes well under a second on a warm clamd.
const clamdTimeout = 60 * time.Second

// NewClamd returns a Scanner for the clamd at addr: "unix:/run/clamav/clamd.ctl" or an absolute
// path for a Unix socket, "tcp://host:3310" or "host:3310" for TCP (PARCOURS_CLAMD_ADDR).
func NewClamd(addr string) (*Clamd, error) {
	network, address, err := ParseClamdAddr(addr)
	if err != nil {
		return nil, err
	}
	return &Clamd{network: network, address: address, timeout: clamdTimeout}, nil
}

// ParseClamdAddr splits a clamd address into a network ("unix" or "tcp") and an address.
func ParseClamdAddr(addr string) (network, address string, err error) {
	addr = strings.TrimSpace(addr)
	switch {
	case strings.HasPrefix(addr, "unix:"):
		address = strings.TrimPrefix(strings.TrimPrefix(addr, "unix:"), "//")
		if !strings.HasPrefix(address, "/") {
			return "", "", fmt.Errorf("adresse clamd %q : chemin absolu de socket attendu (unix:/run/clamav/clamd.ctl)", addr)
		}
		return "unix", address, nil
	case strings.HasPrefix(addr, "/"):
		return "unix", addr, nil
	}
	address = strings.TrimPrefix(addr, "tcp://")
	host, port, err := net.SplitHostPort(address)
	if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
		return "", "", fmt.Errorf("adresse clamd %q : hôte:port (tcp://clamav:3310) ou socket Unix (unix:/run/clamav/clamd.ctl) attendu", addr)
	}
	return "tcp", address, nil
}

// String names the daemon's address, for logs.
func (c *Clamd) String() string { return c.network + ":" + c.address }

// ErrScanUnavailable means the antivirus could not give an answer: the upload is refused
// rather than stored unscanned.
var ErrScanUnavailable = fmt.Errorf("analyse antivirus impossible pour le moment : %w", fault.Unavailable)

// Scan sends content to clamd and returns its verdict.
func (c *Clamd) Scan(ctx context.Context, content io.Reader) (Verdict, error) {
	reply, err := c.command(ctx, "INSTREAM", content)
	if err != nil {
		return Verdict{}, err
	}
	// "stream: OK", "stream: Eicar-Test-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
	rest, ok := strings.CutPrefix(reply, "stream: ")
	switch {
	case ok && rest == "OK":
		return Verdict{}, nil
	case ok && strings.HasSuffix(rest, " FOUND"):
		return Verdict{Infected: true, Signature: strings.TrimSuffix(rest, " FOUND")}, nil
	}
	return Verdict{}, fmt.Errorf("clamd a répondu %q : %w", reply, ErrScanUnavailable)
}

// Ping checks that clamd answers (PING → PONG), for a start-up check.
func (c *Clamd) Ping(ctx context.Context) error {
	reply, err := c.command(ctx, "PING", nil)
	if err != nil {
		return err
	}
	if reply != "PONG" {
		return fmt.Errorf("clamd a répondu %q à PING : %w", reply, ErrScanUnavailable)
	}
	return nil
}

// command sends one z-command (with content streamed for INSTREAM) and reads the one reply.
func (c *Clamd) command(ctx context.Context, name string, content io.Reader) (string, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, c.network, c.address)
	if err != nil {
		return "", errors.Join(ErrScanUnavailable, err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	// Cancelling the context closes the connection, which ends a blocked read or write.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := c.send(conn, name, content); err != nil {
		// clamd stops reading when it refuses a stream (size limit) but says why first.
		if reply, rerr := readReply(conn); rerr == nil {
			return "", fmt.Errorf("clamd a répondu %q : %w", reply, ErrScanUnavailable)
		}
		return "", errors.Join(ErrScanUnavailable, err)
	}
	reply, err := readReply(conn)
	if err != nil {
		return "", errors.Join(ErrScanUnavailable, err)
	}
	return reply, nil
}

func (c *Clamd) send(w io.Writer, name string, content io.Reader) error {
	if _, err := io.WriteString(w, "z"+name+"\x00"); err != nil {
		return err
	}
	if content == nil {
		return nil
	}
	buf := make([]byte, 4+clamdChunk)
	for {
		n, err := io.ReadFull(content, buf[4:])
		if n > 0 {
			binary.BigEndian.PutUint32(buf, uint32(n))
			if _, werr := w.Write(buf[:4+n]); werr != nil {
				return werr
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	_, err := w.Write([]byte{0, 0, 0, 0})
	return err
}

// maxReply bounds clamd's answer: a signature name, not a document.
const maxReply = 1024

// readReply reads up to the NUL that ends a z-command's reply (or to the end of the stream).
func readReply(r io.Reader) (string, error) {
	var b []byte
	buf := make([]byte, 256)
	for len(b) < maxReply {
		n, err := r.Read(buf)
		b = append(b, buf[:n]...)
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
			break
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
	}
	if len(b) >= maxReply {
		return "", errors.New("réponse de clamd trop longue")
	}
	reply := strings.TrimSpace(string(b))
	if reply == "" {
		return "", errors.New("clamd a fermé la connexion sans répondre")
	}
	return reply, nil
}

package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"parcours/internal/clock"
	"parcours/internal/database"
)

// publishBatch bounds the checkpoints one Publish appends, so that a backlog (a first start
// on an existing trail) is caught up over a few rounds.
const publishBatch = 1000

// Witness retries back off from witnessRetryMin, doubling, up to witnessRetryMax.
const (
	witnessRetryMin = time.Second
	witnessRetryMax = 5 * time.Minute
	witnessTimeout  = 10 * time.Second
)

// Publisher copies the database's signed checkpoints, once committed, to the checkpoint log
// and to an optional witness: what it publishes was committed, so the publication cannot get
// ahead of the database, and it publishes only a checkpoint that extends the one published
// before it, so it never spreads a rewritten history.
type Publisher struct {
	db       *database.DB
	log      *CheckpointLog
	verifier note.Verifier
	clock    clock.Clock
	witness  *url.URL
	client   *http.Client

	mu        sync.Mutex // witness state
	witnessed int64      // size of the newest checkpoint the witness accepted
	failures  int
	retryAt   time.Time
}

// PublisherOptions configure a Publisher.
type PublisherOptions struct {
	// WitnessURL, when set, receives by POST (text/plain) the newest published checkpoint each
	// time it changes.
	WitnessURL string
	// HTTPClient posts to the witness; the default one gives up after 10 seconds.
	HTTPClient *http.Client
}

// NewPublisher returns a Publisher of the database's checkpoints to log, which checks them with
// verifier (the sequencer's public key).
func NewPublisher(db *database.DB, log *CheckpointLog, verifier note.Verifier, clk clock.Clock, opts PublisherOptions) (*Publisher, error) {
	p := &Publisher{db: db, log: log, verifier: verifier, clock: clk, client: opts.HTTPClient}
	if opts.WitnessURL != "" {
		u, err := url.Parse(opts.WitnessURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("PARCOURS_AUDIT_WITNESS_URL : adresse http(s)://… attendue")
		}
		p.witness = u
	}
	if p.client == nil {
		p.client = &http.Client{Timeout: witnessTimeout}
	}
	return p, nil
}

// Publish appends to the checkpoint log every checkpoint committed in the database beyond the
// log's newest record, oldest first, then posts the newest to the witness, and returns how many
// it appended. Each checkpoint is appended only after its signature and a consistency proof
// (built from the database's stored hashes) show that it extends the one before; one that does
// not stops the publication with ErrTampered, and neither it nor any later one is appended.
// What fails is tried again at the next call, from where it stopped: nothing is skipped.
func (p *Publisher) Publish(ctx context.Context) (int, error) {
	n, err := p.publishLog(ctx)
	return n, errors.Join(err, p.postWitness(ctx))
}

type dbCheckpoint struct {
	size   int64
	root   []byte
	signed string
}

func (p *Publisher) publishLog(ctx context.Context) (int, error) {
	head, err := p.log.Head()
	if err != nil {
		return 0, err
	}
	// Most rounds have nothing new: one read, without locking the file.
	if rows, err := p.pending(ctx, head.Size, 1); err != nil || len(rows) == 0 {
		return 0, err
	}
	l := p.log
	l.mu.Lock()
	defer l.mu.Unlock()
	// Never O_CREATE here: a log that disappeared must be noticed, not restarted empty.
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return 0, fmt.Errorf("journal des points de contrôle %s impossible à écrire : %w", l.path, err)
	}
	defer f.Close()
	unlock, err := lockFile(f, true)
	if err != nil {
		return 0, fmt.Errorf("verrou du journal des points de contrôle %s : %w", l.path, err)
	}
	defer unlock()
	if err := l.refresh(true); err != nil {
		return 0, err
	}
	rows, err := p.pending(ctx, l.head.Size, publishBatch)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	hashes := newStoredHashes(ctx, p.db.Reader())
	prev := l.head
	var notes [][]byte
	var newest Checkpoint
	var stop error
	for _, r := range rows {
		c, err := p.extends(r, prev, hashes)
		if err != nil {
			stop = err
			break
		}
		notes = append(notes, []byte(r.signed))
		newest, prev = c, c
	}
	if len(notes) > 0 {
		if err := l.appendRecords(f, notes, newest); err != nil {
			return 0, errors.Join(err, stop)
		}
	}
	return len(notes), stop
}

// extends checks that the database's checkpoint r is ours and that its tree extends prev.
func (p *Publisher) extends(r dbCheckpoint, prev Checkpoint, hashes *storedHashes) (Checkpoint, error) {
	c, err := OpenCheckpoint([]byte(r.signed), p.verifier)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("point de contrôle %d de la base non publié : %w : %w", r.size, err, ErrTampered)
	}
	if c.Size != r.size || !bytes.Equal(c.Root[:], r.root) {
		return Checkpoint{}, fmt.Errorf("point de contrôle %d de la base non publié : taille ou racine enregistrée différente du texte signé : %w", r.size, ErrTampered)
	}
	if prev.Size == 0 {
		return c, nil
	}
	proof, err := tlog.ProveTree(c.Size, prev.Size, hashes)
	var missing *missingHashError
	if err != nil && !errors.As(err, &missing) {
		return Checkpoint{}, fmt.Errorf("preuve de cohérence du point de contrôle %d : %w", c.Size, err)
	}
	if err == nil {
		err = tlog.CheckTree(proof, c.Size, c.Root, prev.Size, prev.Root)
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("le point de contrôle %d de la base ne prolonge pas le dernier publié (%d) : l'historique a été réécrit, publication arrêtée : %w",
			c.Size, prev.Size, ErrTampered)
	}
	return c, nil
}

// pending reads up to limit database checkpoints larger than size, smallest first.
func (p *Publisher) pending(ctx context.Context, size int64, limit int) ([]dbCheckpoint, error) {
	rows, err := p.db.Reader().QueryContext(ctx, `SELECT tree_size, root_hash, signed_note FROM audit_checkpoints
		WHERE tree_size > $1 ORDER BY tree_size LIMIT $2`, size, limit)
	if err != nil {
		return nil, fmt.Errorf("lecture des points de contrôle à publier : %w", err)
	}
	defer rows.Close()
	var out []dbCheckpoint
	for rows.Next() {
		var r dbCheckpoint
		if err := rows.Scan(&r.size, &r.root, &r.signed); err != nil {
			return nil, fmt.Errorf("lecture des points de contrôle à publier : %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lecture des points de contrôle à publier : %w", err)
	}
	return out, nil
}

// postWitness sends the newest published checkpoint to the witness if it has not accepted it
// yet. After a failure it waits (1 s, doubling up to 5 min) before trying again, so that a
// witness down for an hour is neither hammered nor reported every second.
func (p *Publisher) postWitness(ctx context.Context) error {
	if p.witness == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.log.mu.Lock()
	head, signed := p.log.head, p.log.note
	p.log.mu.Unlock()
	now := p.clock.Now()
	if head.Size == 0 || head.Size <= p.witnessed || now.Before(p.retryAt) {
		return nil
	}
	err := p.post(ctx, signed)
	if err == nil {
		p.witnessed, p.failures, p.retryAt = head.Size, 0, time.Time{}
		return nil
	}
	p.failures++
	wait := min(witnessRetryMin<<min(p.failures-1, 20), witnessRetryMax)
	p.retryAt = now.Add(wait)
	return fmt.Errorf("témoin %s : le point de contrôle %d n'a pas été accepté (nouvel essai dans %s) : %w", p.witness.Host, head.Size, wait, err)
}

func (p *Publisher) post(ctx context.Context, signed []byte) error {
	ctx, cancel := context.WithTimeout(ctx, witnessTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.witness.String(), bytes.NewReader(signed))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	resp, err := p.client.Do(req)
	if err != nil {
		// The URL may carry a token: keep it out of the message.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("réponse %d", resp.StatusCode)
	}
	return nil
}

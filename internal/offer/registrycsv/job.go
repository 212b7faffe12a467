package registrycsv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"parcours/internal/access"
	"parcours/internal/database"
	"parcours/internal/fault"
	"parcours/internal/offer"
	"parcours/internal/refdata"
)

// Importer runs the registry files staff send from the web page in the background: Submit
// stores the file with a queued import (offer.SubmitRegistryImport) and Run, on every
// instance, claims queued imports one at a time and runs them batch by batch, each batch
// committed with the import's progress. An instance that stops mid-import (shutdown, crash)
// leaves it to the next claim, which goes on from the batch after the last one committed.
type Importer struct {
	svc      *offer.Service
	places   *refdata.Data
	log      *slog.Logger
	instance string
	// Lease is how long a claim holds an import without news (each batch renews it);
	// Poll how often Run looks for imports to run besides Submit's wake-ups.
	Lease time.Duration
	Poll  time.Duration
	wake  chan struct{}
	// afterBatch, when set (tests), is called after each batch committed.
	afterBatch func(batch int)
}

// NewImporter returns the importer of an instance named instance (jobs.InstanceName).
func NewImporter(svc *offer.Service, places *refdata.Data, log *slog.Logger, instance string) *Importer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Importer{svc: svc, places: places, log: log, instance: instance, Lease: time.Minute, Poll: 30 * time.Second,
		wake: make(chan struct{}, 1)}
}

// Submit checks that the file can be read (*FileError otherwise, nothing stored) and queues
// its import (staff only); this instance starts it at once if Run is running.
func (im *Importer) Submit(ctx context.Context, actor access.Actor, name string, content []byte) (offer.RegistryImport, error) {
	if err := access.Can(actor, access.ManageStructureRegistry, access.Resource{}); err != nil {
		return offer.RegistryImport{}, err
	}
	parsed, err := Parse(bytes.NewReader(content))
	if err != nil {
		return offer.RegistryImport{}, err
	}
	r, err := im.svc.SubmitRegistryImport(ctx, actor, offer.RegistryUpload{FileName: name, Content: content, Lines: parsed.Total(),
		Warnings: parsed.Warnings})
	if err != nil {
		return offer.RegistryImport{}, err
	}
	im.Wake()
	return r, nil
}

// Wake makes Run look for imports now.
func (im *Importer) Wake() {
	select {
	case im.wake <- struct{}{}:
	default:
	}
}

// Run runs imports until ctx ends: those submitted here at once, others (and those whose
// instance stopped) within Poll.
func (im *Importer) Run(ctx context.Context) {
	for {
		for ctx.Err() == nil {
			ran, err := im.RunOnce(ctx)
			if err != nil {
				im.log.Error("registry import", "err", err)
			}
			if !ran || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-im.wake:
		case <-time.After(im.Poll):
		}
	}
}

// RunOnce claims an import and runs it to its end (or until ctx ends); it tells whether there
// was one.
func (im *Importer) RunOnce(ctx context.Context) (bool, error) {
	c, ok, err := im.svc.ClaimRegistryImport(ctx, im.instance, im.Lease)
	if err != nil || !ok {
		return false, err
	}
	im.log.Info("registry import claimed", "import", c.Import.ID, "claim", c.Import.Claims, "next_batch", c.NextBatch, "lines", c.Import.Lines)
	return true, im.run(ctx, &c)
}

// run runs a claimed import from its next batch.
func (im *Importer) run(ctx context.Context, c *offer.ImportClaim) error {
	began := time.Now()
	parsed, err := Parse(bytes.NewReader(c.Content))
	if err != nil {
		var fe *FileError
		if !errors.As(err, &fe) {
			return im.stop(ctx, c, "", err)
		}
		return im.svc.FinishRegistryImport(ctx, c, fe)
	}
	c.Content = nil // parsed: the rows hold what the batches need
	parsed.CheckCommunes(im.places)
	if err := im.svc.PrepareRegistryImport(ctx, c, lines(parsed.Rejected)); err != nil {
		return im.stop(ctx, c, "", err)
	}
	rejectedKeys := maps.Clone(parsed.rejectedKeys)
	if rejectedKeys == nil {
		rejectedKeys = map[string]int{}
	}
	all := batches(parsed)
	for i := c.NextBatch; i < len(all); i++ {
		batch := all[i]
		_, _, err := importBatch(batch, rejectedKeys, func(entries []offer.RegistryEntry, rejected []Rejection) (offer.ImportReport, error) {
			return im.svc.ImportRegistryStep(ctx, c.Actor(), c, entries, offer.ImportStep{Lines: len(batch), Rejected: lines(rejected)})
		})
		if err != nil {
			return im.stop(ctx, c, fmt.Sprintf("lignes %d à %d", batch[0].Line, batch[len(batch)-1].Line), err)
		}
		if im.afterBatch != nil {
			im.afterBatch(i)
		}
	}
	if err := im.svc.FinishRegistryImport(ctx, c, nil); err != nil {
		return im.stop(ctx, c, "", err)
	}
	im.log.Info("registry import done", "import", c.Import.ID, "lines", c.Import.Lines, "created", c.Import.Created,
		"updated", c.Import.Updated, "unchanged", c.Import.Unchanged, "rejected", c.Import.Rejected,
		"duration", time.Since(began).Round(time.Millisecond))
	return nil
}

// stop handles an error that interrupts an import (where: the lines of the batch, if any). The
// import is left to another claim when the error says nothing about the file: this instance
// stops (ctx ended), another one took it over, or the database is unavailable. Otherwise it
// fails, with the lines written before the error counted in its report; an unexpected error
// is logged and shown to staff without its details.
func (im *Importer) stop(ctx context.Context, c *offer.ImportClaim, where string, err error) error {
	switch {
	case errors.Is(err, offer.ErrImportLost):
		im.log.Warn("registry import taken over by another instance", "import", c.Import.ID)
		return nil
	case ctx.Err() != nil:
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if rerr := im.svc.ReleaseRegistryImport(rctx, c); rerr != nil {
			im.log.Warn("registry import not released", "import", c.Import.ID, "err", rerr)
		}
		im.log.Info("registry import interrupted, left to the next claim", "import", c.Import.ID, "next_batch", c.NextBatch)
		return nil
	case database.IsUnavailable(err) || errors.Is(err, fault.Unavailable):
		im.log.Warn("registry import interrupted by the database, left to the next claim", "import", c.Import.ID, "err", err)
		return nil
	}
	if where == "" {
		where = "avant le premier lot"
	}
	shown := fmt.Errorf("%s : %w", where, err)
	if !errors.Is(err, fault.Invalid) && !errors.Is(err, fault.Conflict) && !errors.Is(err, fault.Forbidden) {
		im.log.Error("registry import failed", "import", c.Import.ID, "where", where, "err", err)
		shown = fmt.Errorf("%s : erreur inattendue, l'équipe technique en a été informée (import %s)", where, c.Import.ID)
	}
	if ferr := im.svc.FinishRegistryImport(context.WithoutCancel(ctx), c, shown); ferr != nil {
		return errors.Join(err, ferr)
	}
	return nil
}

// lines turns rejections into the import's refused lines.
func lines(rs []Rejection) []offer.ImportLine {
	out := make([]offer.ImportLine, len(rs))
	for i, r := range rs {
		out[i] = offer.ImportLine{Line: r.Line, Reason: r.Reason}
	}
	return out
}

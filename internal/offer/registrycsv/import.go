package registrycsv

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"parcours/internal/access"
	"parcours/internal/offer"
)

// BatchSize is how many lines go in one transaction: large enough that commits cost little,
// small enough that a refused line replays little work.
const BatchSize = 500

// Report says what an import did.
type Report struct {
	// Lines is the number of data lines read from the file.
	Lines int
	// Created, Updated and Unchanged count structures: a second import of the same file
	// reports every valid line unchanged (and writes nothing for them).
	Created, Updated, Unchanged int
	// Rejected lists the lines not imported, by line, with the reason.
	Rejected []Rejection
	// Warnings are remarks about the file (unknown columns).
	Warnings []string
	// DryRun is true when nothing was written (Check instead of Import).
	DryRun bool
	// Duration is the import's wall-clock time (parsing excluded).
	Duration time.Duration
}

// String is the French summary shown after an import.
func (r Report) String() string {
	var b strings.Builder
	rejected := len(r.Rejected)
	if r.DryRun {
		fmt.Fprintf(&b, "Vérification sans écriture : %s, %s, %s.", plural(r.Lines, "ligne lue", "lignes lues"),
			plural(r.Lines-rejected, "valide", "valides"), plural(rejected, "rejetée", "rejetées"))
	} else {
		fmt.Fprintf(&b, "Import du registre : %s en %s", plural(r.Lines, "ligne lue", "lignes lues"), seconds(r.Duration))
		if s := r.Duration.Seconds(); s > 0 && r.Lines > 0 {
			fmt.Fprintf(&b, " (%s lignes/s)", number(int(float64(r.Lines)/s)))
		}
		fmt.Fprintf(&b, ".\n  %s\n  %s\n  %s\n  %s", plural(r.Created, "structure créée", "structures créées"),
			plural(r.Updated, "structure mise à jour", "structures mises à jour"),
			plural(r.Unchanged, "structure déjà à jour", "structures déjà à jour"),
			plural(rejected, "ligne rejetée", "lignes rejetées"))
	}
	for _, w := range r.Warnings {
		b.WriteString("\nAttention : " + w)
	}
	return b.String()
}

// plural writes n with the singular (0 and 1, as French does) or plural words.
func plural(n int, one, many string) string {
	if n > 1 {
		return number(n) + " " + many
	}
	return number(n) + " " + one
}

// number groups thousands with a space, as French does.
func number(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func seconds(d time.Duration) string {
	return strings.Replace(strconv.FormatFloat(d.Seconds(), 'f', 1, 64), ".", ",", 1) + " s"
}

// Check reports what Parse found without writing anything: the lines Parse rejected and the
// warnings. Call CheckCommunes first to include unknown communes. What only the database can
// tell (a parent that is neither in the file nor in the registry, a convention number already
// held by another structure) is found by Import alone.
func Check(parsed Parsed) Report {
	return Report{Lines: parsed.Total(), Rejected: slices.Clone(parsed.Rejected), Warnings: slices.Clone(parsed.Warnings), DryRun: true}
}

// Import writes the parsed rows through svc.ImportRegistry, in batches of BatchSize, each in
// one transaction. A line the registry refuses is added to the report's rejections (with its
// file line and the reasons by column) and its batch is written again without it, so that
// every valid line is written and no batch is half-written. Structures that are not antennas
// go first, antennas after, so a parent may follow its antennas in the file.
//
// progress, when not nil, is called with the number of lines done (written or rejected) and
// the total, at the start and after each batch.
//
// Any other error (database, cancelled context, actor not allowed) stops the import: the batches
// before it are written and counted in the report returned with the error.
func Import(ctx context.Context, svc *offer.Service, actor access.Actor, parsed Parsed, progress func(done, total int)) (Report, error) {
	start := time.Now()
	r := Report{Lines: parsed.Total(), Rejected: slices.Clone(parsed.Rejected), Warnings: slices.Clone(parsed.Warnings)}
	rejectedKeys := maps.Clone(parsed.rejectedKeys)
	if rejectedKeys == nil {
		rejectedKeys = map[string]int{}
	}
	total, done := r.Lines, len(parsed.Rejected)
	report := func() {
		if progress != nil {
			progress(done, total)
		}
	}
	report()
	for _, batch := range batches(parsed) {
		if err := ctx.Err(); err != nil {
			r.Duration = time.Since(start)
			return r, fmt.Errorf("import interrompu : %w", err)
		}
		res, rejected, err := importBatch(batch, rejectedKeys, func(entries []offer.RegistryEntry, _ []Rejection) (offer.ImportReport, error) {
			return svc.ImportRegistry(ctx, actor, entries)
		})
		r.Created += res.Created
		r.Updated += res.Updated
		r.Unchanged += res.Unchanged
		r.Rejected = append(r.Rejected, rejected...)
		if err != nil {
			r.Duration = time.Since(start)
			slices.SortStableFunc(r.Rejected, func(a, b Rejection) int { return a.Line - b.Line })
			return r, fmt.Errorf("lignes %d à %d : %w (%d structure(s) créée(s) et %d mise(s) à jour avant l'erreur restent enregistrées)",
				batch[0].Line, batch[len(batch)-1].Line, err, r.Created, r.Updated)
		}
		done += len(batch)
		report()
	}
	slices.SortStableFunc(r.Rejected, func(a, b Rejection) int { return a.Line - b.Line })
	r.Duration = time.Since(start)
	return r, nil
}

// batches cuts the parsed rows as imports write them: the structures that are not antennas
// first, then the antennas, BatchSize rows at a time. The cut depends on the file alone, so
// that an import taken over by another instance goes on from the batch where it stopped.
func batches(parsed Parsed) [][]Row {
	var parents, antennas []Row
	for _, row := range parsed.Rows {
		if parentKey(row.Entry) == "" {
			parents = append(parents, row)
		} else {
			antennas = append(antennas, row)
		}
	}
	var out [][]Row
	for _, pass := range [][]Row{parents, antennas} {
		for len(pass) > 0 {
			n := min(BatchSize, len(pass))
			out = append(out, pass[:n:n])
			pass = pass[n:]
		}
	}
	return out
}

// importBatch writes a batch through save, dropping the lines the registry refuses until the
// rest goes through in one transaction; save is given the lines refused so far too, and
// called once even when every line is refused. ImportRegistry reports every line it refuses
// at once, those that fail its checks and those only the registry's state refuses (a missing
// parent, a convention held elsewhere), before writing anything: a batch with refused lines
// is read twice and written once.
func importBatch(batch []Row, rejectedKeys map[string]int,
	save func(entries []offer.RegistryEntry, rejected []Rejection) (offer.ImportReport, error)) (offer.ImportReport, []Rejection, error) {
	var rejected []Rejection
	pending := slices.Clone(batch)
	for {
		entries := make([]offer.RegistryEntry, len(pending))
		for i, row := range pending {
			entries[i] = row.Entry
		}
		res, err := save(entries, rejected)
		var ie *offer.ImportError
		if !errors.As(err, &ie) {
			return res, rejected, err
		}
		if len(ie.Lines) == 0 || len(pending) == 0 {
			return offer.ImportReport{}, rejected, err
		}
		drop := make(map[int]bool, len(ie.Lines))
		for _, l := range ie.Lines {
			i := l.Line - 1
			if i < 0 || i >= len(pending) || drop[i] {
				return offer.ImportReport{}, rejected, fmt.Errorf("position %d hors du lot de %d lignes : %w", l.Line, len(pending), err)
			}
			drop[i] = true
			row := pending[i]
			rejected = append(rejected, Rejection{Line: row.Line, Reason: reason(l.Fields, row.Entry, rejectedKeys)})
			rejectedKeys[key(row.Entry.SIRET, row.Entry.Kind)] = row.Line
		}
		kept := pending[:0]
		for i, row := range pending {
			if !drop[i] {
				kept = append(kept, row)
			}
		}
		pending = kept
	}
}

// reason turns offer's field messages into a line's reason, naming the file's columns in the
// documentation's order. A missing parent whose own line was rejected says so.
func reason(fields map[string]string, e offer.RegistryEntry, rejectedKeys map[string]int) string {
	names := slices.SortedFunc(maps.Keys(fields), func(a, b string) int { return fieldOrder(a) - fieldOrder(b) })
	parts := make([]string, 0, len(names))
	for _, f := range names {
		msg := fields[f]
		if f == "parent_siret" {
			if line, ok := rejectedKeys[parentKey(e)]; ok {
				msg += fmt.Sprintf(" (la ligne %d, qui la décrit, est rejetée)", line)
			}
		}
		if f == "" {
			parts = append(parts, msg)
			continue
		}
		parts = append(parts, fieldColumn(f)+" : "+lowerFirst(msg))
	}
	return strings.Join(parts, " ; ")
}

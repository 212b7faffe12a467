package audit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/mod/sumdb/note"
)

// LogFile is the name of the checkpoint log in the checkpoint directory.
const LogFile = "checkpoints.log"

// The checkpoint log is a text file of signed notes (C2SP tlog-checkpoint), oldest first, each
// followed by an empty line:
//
//	parcours.audit/v1
//	61
//	<base64 root>
//
//	— parcours.audit/v1 <base64 key hash and signature>
//
// A note's text holds no empty line and its signature block ends at the first one, so two
// empty-line boundaries delimit a record. `cat` shows it; any C2SP tool reads each record.

// tailRead bounds what OpenCheckpointLog reads to find the newest record: records are a few
// hundred bytes, and the log grows by one per sequencing round, so it is never read whole.
const tailRead = 64 << 10

// CheckpointLog is the append-only file, outside the database, to which every signed checkpoint
// is copied once its transaction has committed. Whoever controls the database cannot change it;
// Verify checks the database against every record. Several processes may append to one log:
// an exclusive file lock serialises them.
type CheckpointLog struct {
	path     string
	verifier note.Verifier

	mu     sync.Mutex
	offset int64      // bytes read so far, always at a record boundary
	head   Checkpoint // newest record read or appended; Size 0 while the log is empty
	note   []byte     // head's signed note
}

// OpenCheckpointLog opens the checkpoint log in dir, creating the file (mode 0600) if needed,
// and reads its newest record. dir must exist and the file must be writable: a log that cannot
// be written is an error, never a reason to carry on without publishing.
func OpenCheckpointLog(dir string, verifier note.Verifier) (*CheckpointLog, error) {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("dossier des points de contrôle d'audit %s introuvable : créez-le (droits 700) ou corrigez PARCOURS_AUDIT_CHECKPOINT_DIR", dir)
	case err != nil:
		return nil, fmt.Errorf("dossier des points de contrôle d'audit %s inaccessible : %w", dir, err)
	case !info.IsDir():
		return nil, fmt.Errorf("PARCOURS_AUDIT_CHECKPOINT_DIR : %s n'est pas un dossier", dir)
	}
	path := filepath.Join(dir, LogFile)
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("journal des points de contrôle d'audit %s impossible à écrire : %w", path, err)
	}
	defer f.Close()
	if errors.Is(statErr, fs.ErrNotExist) {
		syncDir(dir)
	}
	l := &CheckpointLog{path: path, verifier: verifier}
	unlock, err := lockFile(f, true)
	if err != nil {
		return nil, fmt.Errorf("verrou du journal des points de contrôle %s : %w", path, err)
	}
	defer unlock()
	if err := l.readTail(); err != nil {
		return nil, err
	}
	return l, nil
}

// Head returns the newest published checkpoint (Size 0 while none is), reading first what other
// processes appended since the last call.
func (l *CheckpointLog) Head() (Checkpoint, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.refresh(false); err != nil {
		return Checkpoint{}, err
	}
	return l.head, nil
}

// readTail reads the newest record from the end of the file, under the exclusive lock, so that
// a record without its final empty line is a torn write and not an append in progress.
func (l *CheckpointLog) readTail() error {
	f, err := os.Open(l.path)
	if err != nil {
		return fmt.Errorf("lecture du journal des points de contrôle : %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("lecture du journal des points de contrôle : %w", err)
	}
	size := info.Size()
	if size == 0 {
		return nil
	}
	from := max(0, size-tailRead)
	buf := make([]byte, size-from)
	if _, err := f.ReadAt(buf, from); err != nil {
		return fmt.Errorf("lecture du journal des points de contrôle : %w", err)
	}
	rec, err := lastRecord(buf, from == 0)
	if err != nil {
		return fmt.Errorf("journal des points de contrôle %s illisible à la fin : %w", l.path, err)
	}
	c, err := OpenCheckpoint(rec, l.verifier)
	if err != nil {
		return fmt.Errorf("journal des points de contrôle %s : dernier enregistrement refusé : %w", l.path, err)
	}
	l.head, l.note, l.offset = c, rec, size
	return nil
}

// refresh reads the records appended after offset. Without the lock (locked false) an
// incomplete last record may be another process's append in progress and is left for later;
// under the lock it is a torn write.
func (l *CheckpointLog) refresh(locked bool) error {
	f, err := os.Open(l.path)
	if err != nil {
		return fmt.Errorf("journal des points de contrôle %s illisible : %w", l.path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return fmt.Errorf("journal des points de contrôle %s illisible : %w", l.path, err)
	}
	switch {
	case info.Size() < l.offset:
		return fmt.Errorf("journal des points de contrôle %s raccourci (%d octets, %d déjà lus) : %w", l.path, info.Size(), l.offset, ErrTampered)
	case info.Size() == l.offset:
		return nil
	}
	buf := make([]byte, info.Size()-l.offset)
	if _, err := f.ReadAt(buf, l.offset); err != nil {
		return fmt.Errorf("journal des points de contrôle %s illisible : %w", l.path, err)
	}
	for len(buf) > 0 {
		rec, n, ok := nextRecord(buf)
		if !ok {
			if locked {
				return fmt.Errorf("journal des points de contrôle %s : enregistrement incomplet à l'octet %d (écriture interrompue ?) ; réparez le fichier avant de reprendre la publication", l.path, l.offset)
			}
			return nil
		}
		c, err := OpenCheckpoint(rec, l.verifier)
		if err != nil {
			return fmt.Errorf("journal des points de contrôle %s, enregistrement à l'octet %d : %w", l.path, l.offset, err)
		}
		l.head, l.note = c, bytes.Clone(rec)
		l.offset += int64(n)
		buf = buf[n:]
	}
	return nil
}

// appendRecords writes the signed checkpoints at the end of the log, in one write, and syncs it.
// The caller holds mu and the file lock. The file is never created here: a log that vanished
// must be noticed, not restarted empty.
func (l *CheckpointLog) appendRecords(f *os.File, notes [][]byte, newest Checkpoint) error {
	var buf bytes.Buffer
	for _, n := range notes {
		buf.Write(n)
		buf.WriteByte('\n')
	}
	if _, err := f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("écriture du journal des points de contrôle %s : %w", l.path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("écriture du journal des points de contrôle %s : %w", l.path, err)
	}
	l.offset += int64(buf.Len())
	l.head, l.note = newest, bytes.Clone(notes[len(notes)-1])
	return nil
}

// nextRecord returns the first record of data (the signed note, without the empty line that
// follows it) and the bytes it takes; ok is false when data holds no complete record.
func nextRecord(data []byte) (rec []byte, n int, ok bool) {
	text := bytes.Index(data, []byte("\n\n"))
	if text < 0 {
		return nil, 0, false
	}
	end := bytes.Index(data[text+2:], []byte("\n\n"))
	if end < 0 {
		return nil, 0, false
	}
	end += text + 2
	return data[:end+1], end + 2, true
}

// lastRecord returns the last complete record of tail, the end of the log. whole tells
// whether tail starts at the beginning of the file; otherwise the record must be seen to
// start after an earlier record's end.
func lastRecord(tail []byte, whole bool) ([]byte, error) {
	if !bytes.HasSuffix(tail, []byte("\n\n")) {
		return nil, errors.New("le dernier enregistrement est incomplet (écriture interrompue ?)")
	}
	// Pieces between empty lines alternate: a note's text, its signatures, the next text…
	pieces := bytes.Split(tail[:len(tail)-2], []byte("\n\n"))
	k := len(pieces)
	if k < 2 || !bytes.HasPrefix(pieces[k-1], []byte("— ")) || bytes.HasPrefix(pieces[k-2], []byte("— ")) || (k == 2 && !whole) {
		return nil, errors.New("le dernier enregistrement n'est pas une note signée")
	}
	rec := make([]byte, 0, len(pieces[k-2])+len(pieces[k-1])+3)
	rec = append(rec, pieces[k-2]...)
	rec = append(rec, "\n\n"...)
	rec = append(rec, pieces[k-1]...)
	return append(rec, '\n'), nil
}

// PublishedRecord is one record of a checkpoint log as Verify reads it.
type PublishedRecord struct {
	// Line is where the record starts in the file (from 1).
	Line       int
	Checkpoint Checkpoint
	// Err says why the record is unusable (torn, unsigned, another log's); Checkpoint is then zero.
	Err error
}

// publishedReader reads the records of a checkpoint log one at a time, for Verify.
type publishedReader struct {
	r        io.Reader
	verifier note.Verifier
	buf      []byte
	chunk    []byte
	line     int
	eof      bool
	done     bool
}

func newPublishedReader(r io.Reader, verifier note.Verifier) *publishedReader {
	return &publishedReader{r: r, verifier: verifier, chunk: make([]byte, 32<<10), line: 1}
}

// next returns the next record; ok is false at the end. A record that does not parse or whose
// signature fails comes with its Err set, and reading goes on after it.
func (pr *publishedReader) next() (rec PublishedRecord, ok bool, err error) {
	for !pr.done {
		if raw, n, found := nextRecord(pr.buf); found {
			rec = PublishedRecord{Line: pr.line}
			rec.Checkpoint, rec.Err = OpenCheckpoint(raw, pr.verifier)
			if rec.Err != nil {
				rec.Checkpoint = Checkpoint{}
			}
			pr.line += bytes.Count(pr.buf[:n], []byte("\n"))
			pr.buf = pr.buf[n:]
			return rec, true, nil
		}
		if pr.eof {
			pr.done = true
			if len(bytes.TrimSpace(pr.buf)) > 0 {
				return PublishedRecord{Line: pr.line, Err: errors.New("enregistrement incomplet en fin de fichier")}, true, nil
			}
			return PublishedRecord{}, false, nil
		}
		// A file without record boundaries is not a checkpoint log: do not hold it all.
		if len(pr.buf) > 1<<20 {
			pr.done = true
			return PublishedRecord{Line: pr.line, Err: errors.New("enregistrement de plus d'un Mo : ce n'est pas un journal de points de contrôle")}, true, nil
		}
		m, err := pr.r.Read(pr.chunk)
		pr.buf = append(pr.buf, pr.chunk[:m]...)
		if errors.Is(err, io.EOF) {
			pr.eof = true
		} else if err != nil {
			return PublishedRecord{}, false, fmt.Errorf("lecture du journal des points de contrôle : %w", err)
		}
	}
	return PublishedRecord{}, false, nil
}

// OpenPublished opens the checkpoint log at path for Verify and returns a reader of the records
// complete at this instant: it waits for an append in progress (shared lock) and stops at the
// size seen then. Open it before Verify takes its snapshot, so that every checkpoint it
// returns was committed before the snapshot (publication follows the commit).
func OpenPublished(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("journal des points de contrôle publié %s illisible : %w", path, err)
	}
	unlock, err := lockFile(f, false)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("verrou du journal des points de contrôle %s : %w", path, err)
	}
	info, err := f.Stat()
	unlock()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("journal des points de contrôle publié %s illisible : %w", path, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, info.Size()), f}, nil
}

// syncDir makes a new file's name durable. Some platforms cannot fsync a folder; the error is
// ignored there since the file itself is synced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

package files

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"

	"parcours/internal/fault"
)

// MaxSize is the largest file any caller may accept: a file is held in memory while it is
// checked, scanned and sealed (see the package documentation).
const MaxSize = 20 << 20

// mebibyte is the "Mo" of the messages, as file managers count it.
const mebibyte = 1 << 20

// Rules is what a form field accepts. The caller states them; nothing is accepted by default.
type Rules struct {
	// Field is the form field's name: every refusal is a fault.Field on it.
	Field string
	// Formats are the accepted formats, in the order the messages name them.
	Formats []Format
	// MaxSize is the size limit in bytes, at most MaxSize.
	MaxSize int64
}

func (r Rules) check() error {
	if r.Field == "" || len(r.Formats) == 0 || r.MaxSize <= 0 || r.MaxSize > MaxSize {
		return fmt.Errorf("règles de dépôt incomplètes (champ, formats, taille de 1 octet à %d Mo) : %w", MaxSize/mebibyte, fault.Invalid)
	}
	for _, f := range r.Formats {
		if !f.valid() {
			return fmt.Errorf("format de fichier inconnu %q : %w", f, fault.Invalid)
		}
	}
	return nil
}

// Upload is a received file that passed Check: its format decided by content, its name
// sanitised, its bytes. Its fields are unexported so that nothing changes it between the
// checks and the store: Put stores only an Upload that Service.Accept returned.
type Upload struct {
	name    string
	format  Format
	content []byte
	field   string
	scan    ScanStatus
}

// Name is the sanitised name, with the format's extension.
func (u Upload) Name() string { return u.name }

// Format is the format decided by content.
func (u Upload) Format() Format { return u.format }

// Field is the form field the file came from (Rules.Field).
func (u Upload) Field() string { return u.field }

// Scan tells whether the antivirus passed the file (Clean) or none was configured (NotScanned).
func (u Upload) Scan() ScanStatus { return u.scan }

// Size is the content's length in bytes.
func (u Upload) Size() int64 { return int64(len(u.content)) }

// SHA256 is the digest of the content (not of the sealed bytes): the reference an audit entry
// gives to a refused file.
func (u Upload) SHA256() [32]byte { return sha256.Sum256(u.content) }

// Check reads the file r (the form's file part; at most rules.MaxSize+1 bytes are read) sent
// under name, and checks it against rules: not empty, not over the limit, a format decided by
// content among those accepted, and a name whose extension, if any, agrees with the content.
// The browser's Content-Type is not an input: it says what the sender claims, not what the
// bytes are. Every refusal is a fault.Field on rules.Field with a French message.
func Check(r io.Reader, name string, rules Rules) (Upload, error) {
	if err := rules.check(); err != nil {
		return Upload{}, err
	}
	var buf bytes.Buffer
	// A reader that knows its length (an uploaded part spooled to memory or disk, a
	// bytes.Reader) lets the buffer be allocated once instead of doubling up to the size.
	switch sized := r.(type) {
	case interface{ Size() int64 }:
		buf.Grow(int(min(max(sized.Size(), 0), rules.MaxSize) + 1))
	case interface{ Len() int }:
		buf.Grow(int(min(int64(max(sized.Len(), 0)), rules.MaxSize) + 1))
	}
	n, err := buf.ReadFrom(io.LimitReader(r, rules.MaxSize+1))
	if err != nil {
		return Upload{}, fmt.Errorf("lecture du fichier envoyé : %w", err)
	}
	switch {
	case n == 0:
		return Upload{}, fault.Field(rules.Field, "Le fichier est vide.")
	case n > rules.MaxSize:
		return Upload{}, fault.Field(rules.Field, "Le fichier dépasse "+megabytes(rules.MaxSize)+".")
	}
	content := buf.Bytes()
	format, ok := Sniff(content)
	if !ok || !slices.Contains(rules.Formats, format) {
		return Upload{}, fault.Field(rules.Field, "Le fichier doit être "+labels(rules.Formats)+".")
	}
	name = SanitizeName(name)
	switch ext := strings.ToLower(path.Ext(name)); {
	case format.matchesExtension(ext):
	case isExtension(ext):
		return Upload{}, fault.Field(rules.Field, fmt.Sprintf("Le nom du fichier se termine par %s mais son contenu est %s : renommez-le en %s ou envoyez le bon fichier.",
			ext, format.Label(), format.Extension()))
	default:
		// No extension ("CV", "Rapport v1.2", "CV J. Dupont"): the format's is added, so that
		// the name and the content agree when the file is downloaded.
		name = SanitizeName(name + format.Extension())
	}
	return Upload{name: name, format: format, content: content, field: rules.Field}, nil
}

// isExtension tells whether ext (with its dot) reads as a file extension: one to five ASCII
// letters or digits, at least one a letter. ".exe", ".docx" and ".mp4" are; ".2" and ". Dupont"
// are not.
func isExtension(ext string) bool {
	if len(ext) < 2 || len(ext) > 6 || ext[0] != '.' {
		return false
	}
	letter := false
	for _, c := range []byte(ext[1:]) {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return letter
}

// megabytes writes a limit the way the messages say it: "5 Mo", "1,5 Mo", "500 Ko".
func megabytes(n int64) string {
	if n < mebibyte {
		return strconv.FormatInt((n+1023)/1024, 10) + " Ko"
	}
	s := strconv.FormatFloat(float64(n)/mebibyte, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return strings.Replace(s, ".", ",", 1) + " Mo"
}

// errNotChecked refuses an Upload that did not come from Service.Accept.
var errNotChecked = errors.New("fichier non vérifié : passez par Service.Accept avant Put")

package audit

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Origin is the default name of the audit log: the first line of its checkpoints and the name
// of the key that signs them (crypto.Keyring.AuditSigner(Origin)).
const Origin = "parcours.audit/v1"

// Checkpoint is a signed statement that the log held Size entries whose tree hash is Root.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// checkpointText formats c as a C2SP tlog-checkpoint body.
func checkpointText(c Checkpoint) string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]))
}

// signCheckpoint returns the signed note of c.
func signCheckpoint(c Checkpoint, signer note.Signer) ([]byte, error) {
	msg, err := note.Sign(&note.Note{Text: checkpointText(c)}, signer)
	if err != nil {
		return nil, fmt.Errorf("signature du point de contrôle : %w", err)
	}
	return msg, nil
}

// OpenCheckpoint checks a signed checkpoint against verifier and parses it. The origin must be
// the verifier's name, so a checkpoint of another log signed by the same key is refused.
func OpenCheckpoint(signed []byte, verifier note.Verifier) (Checkpoint, error) {
	n, err := note.Open(signed, note.VerifierList(verifier))
	if err != nil {
		return Checkpoint{}, fmt.Errorf("signature du point de contrôle invalide : %w", err)
	}
	c, err := parseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != verifier.Name() {
		return Checkpoint{}, fmt.Errorf("point de contrôle d'un autre journal (%q)", c.Origin)
	}
	return c, nil
}

var errCheckpointFormat = errors.New("point de contrôle mal formé")

// parseCheckpoint reads exactly the three lines checkpointText writes; extension lines are
// refused because this log never writes any.
func parseCheckpoint(text string) (Checkpoint, error) {
	lines := strings.Split(text, "\n")
	if len(lines) != 4 || lines[3] != "" || lines[0] == "" {
		return Checkpoint{}, errCheckpointFormat
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return Checkpoint{}, errCheckpointFormat
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		return Checkpoint{}, errCheckpointFormat
	}
	return Checkpoint{Origin: lines[0], Size: size, Root: tlog.Hash(raw)}, nil
}

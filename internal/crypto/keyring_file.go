package crypto

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"

	"parcours/internal/clock"
)

// LoadKeyring reads the keyring file at path. It refuses a file that group or others may read
// or write: the keyring decrypts every person's health data.
func LoadKeyring(path string) (*Keyring, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w : le fichier %s n'existe pas (il est créé au premier démarrage) : %w", ErrKeyring, path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%w : lecture de %s : %w", ErrKeyring, path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%w : %s n'est pas un fichier ordinaire", ErrKeyring, path)
	}
	// Windows has no Unix permission bits to check.
	if perm := info.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("%w : le fichier %s est lisible par d'autres comptes (droits %04o) ; corrigez avec « chmod 600 %s »",
			ErrKeyring, path, perm, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w : lecture de %s : %w", ErrKeyring, path, err)
	}
	kr, err := ParseKeyring(data)
	if err != nil {
		return nil, fmt.Errorf("fichier %s : %w", path, err)
	}
	return kr, nil
}

// CreateKeyring creates a keyring file with fresh keys at path (mode 0600, parent folders
// 0700). It never overwrites: if the file exists, it fails with an error wrapping fs.ErrExist,
// because replacing a keyring would make every encrypted value unreadable.
func CreateKeyring(path string) (*Keyring, error) {
	kr, err := NewKeyring(clock.System{}.Now())
	if err != nil {
		return nil, err
	}
	data, err := kr.Marshal()
	if err != nil {
		return nil, err
	}
	if err := writeKeyringFile(path, data, false); err != nil {
		return nil, err
	}
	return kr, nil
}

// LoadOrCreateKeyring loads the keyring at path, creating it first when it does not exist (the
// first start of an embedded installation). created tells whether it was just created.
func LoadOrCreateKeyring(path string) (kr *Keyring, created bool, err error) {
	kr, err = LoadKeyring(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return kr, false, err
	}
	kr, err = CreateKeyring(path)
	if errors.Is(err, fs.ErrExist) {
		// Another instance created it between our two calls: use theirs.
		kr, err = LoadKeyring(path)
		return kr, false, err
	}
	return kr, err == nil, err
}

// UpgradeKeyringFile writes into the keyring file at path the keys a keyring of this version
// holds and the file lacks: today the blind-index key of a file written before blind indexes
// existed, which loading derives (see Keyring.BlindIndex). It rewrites the file atomically under
// the keyring lock, keeping every other key, and reports whether it did. The derived key is the
// same in every instance, so running it from several instances at once, or never (a read-only
// file), changes no index; it only pins the key in the file.
func UpgradeKeyringFile(path string) (bool, error) {
	kr, err := LoadKeyring(path)
	if err != nil || !kr.blindDerived {
		return false, err
	}
	unlock, err := lockKeyring(path)
	if err != nil {
		return false, err
	}
	defer unlock()
	// Reread under the lock: a rotation may have rewritten the file meanwhile.
	if kr, err = LoadKeyring(path); err != nil || !kr.blindDerived {
		return false, err
	}
	data, err := kr.Marshal()
	if err != nil {
		return false, err
	}
	if err := writeKeyringFile(path, data, true); err != nil {
		return false, err
	}
	return true, nil
}

// writeKeyringFile writes data to path through a temporary file in the same folder, so that a
// crash leaves either the old file or the new one, never half of one. With overwrite false the
// final step is a hard link, which fails rather than replace an existing file.
func writeKeyringFile(path string, data []byte, overwrite bool) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("%w : création du dossier %s : %w", ErrKeyring, dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("%w : écriture dans %s : %w", ErrKeyring, dir, err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName)
	// CreateTemp already uses 0600; Chmod states it for umasks and platforms that differ.
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%w : écriture de %s : %w", ErrKeyring, tmpName, err)
	}
	if overwrite {
		err = os.Rename(tmpName, path)
	} else {
		err = os.Link(tmpName, path)
	}
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w : %s existe déjà ; il n'est jamais écrasé : %w", ErrKeyring, path, err)
	}
	if err != nil {
		return fmt.Errorf("%w : écriture de %s : %w", ErrKeyring, path, err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename or link durable. Some platforms cannot fsync a folder; the file itself
// is already synced, so a failure here only risks the name, and is ignored.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// lockKeyring keeps two key commands from editing the same keyring file at once (the second
// would undo the first's new key). The lock is a file created exclusively beside the keyring.
func lockKeyring(path string) (unlock func(), err error) {
	lockPath := path + ".lock"
	f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%w : une autre commande modifie déjà le trousseau (%s existe) ; "+
			"si aucune ne tourne, supprimez ce fichier", ErrKeyring, lockPath)
	}
	if err != nil {
		return nil, fmt.Errorf("%w : verrou %s : %w", ErrKeyring, lockPath, err)
	}
	_, _ = f.WriteString(strconv.Itoa(os.Getpid()) + "\n")
	f.Close()
	return func() { os.Remove(lockPath) }, nil
}

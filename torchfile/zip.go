package torchfile

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/medbert/medbert/torchfile/pickle"
)

// maxPickleBytes bounds data.pkl. A bert-large state_dict pickle is ~40 KB;
// even a 100-billion-parameter sharded checkpoint stays far below this.
const maxPickleBytes = 256 << 20

// maxDeflateRatio bounds how much larger than its compressed size a
// compressed entry may claim to be (deflate cannot exceed ~1032:1), so a
// small compressed file cannot make us allocate a huge buffer.
const maxDeflateRatio = 1100

// openZip reads the torch >= 1.6 format: a zip whose single top-level
// folder (named after the file at save time, e.g. "archive/" or
// "pytorch_model/") holds data.pkl, data/<key> storages, and optionally
// byteorder and version records.
func openZip(r io.ReaderAt, size int64, name string) (*File, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("reading zip archive (truncated or corrupt?): %w", err)
	}
	entries := map[string]*zip.File{}
	var pkl *zip.File
	prefix := ""
	for _, zf := range zr.File {
		entries[zf.Name] = zf
		dir, base, ok := strings.Cut(zf.Name, "/")
		if ok && base == "data.pkl" {
			if pkl != nil {
				return nil, errors.New("zip archive holds more than one data.pkl")
			}
			pkl, prefix = zf, dir+"/"
		}
	}
	if pkl == nil {
		return nil, errors.New("zip archive has no <folder>/data.pkl: not a torch.save checkpoint")
	}
	if bo, ok := entries[prefix+"byteorder"]; ok {
		b, err := readEntry(bo, 16)
		if err != nil {
			return nil, fmt.Errorf("byteorder record: %w", err)
		}
		if s := strings.TrimSpace(string(b)); s != "little" {
			return nil, fmt.Errorf("byteorder is %q: only little-endian checkpoints are supported", s)
		}
	}
	data, err := readEntry(pkl, maxPickleBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pkl.Name, err)
	}

	storages := map[string]*storage{}
	u := stateDictUnpickler(storages, false)
	obj, _, err := u.LoadBytes(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", pkl.Name, err)
	}
	tf := &File{path: name, format: "zip"}
	if err := tf.collect(obj); err != nil {
		return nil, fmt.Errorf("%s: %w", pkl.Name, err)
	}
	for key, st := range storages {
		zf, ok := entries[prefix+"data/"+key]
		if !ok {
			return nil, fmt.Errorf("storage %q: no record %sdata/%s in the archive", key, prefix, key)
		}
		if err := attachZipEntry(st, zf, r, size); err != nil {
			return nil, fmt.Errorf("storage record %s: %w", zf.Name, err)
		}
	}
	if err := tf.validate(); err != nil {
		return nil, err
	}
	return tf, nil
}

// readEntry reads a small zip member completely, refusing members larger
// than limit before reading them.
func readEntry(zf *zip.File, limit int64) ([]byte, error) {
	if zf.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("record of %d bytes exceeds limit %d", zf.UncompressedSize64, limit)
	}
	if zf.Method != zip.Store && zf.UncompressedSize64 > zf.CompressedSize64*maxDeflateRatio {
		return nil, fmt.Errorf("record claims an impossible compression ratio")
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// ReadAll grows with the bytes actually delivered, never the header's
	// claim; the LimitReader stops a lying header.
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("record exceeds limit %d", limit)
	}
	return b, nil
}

// attachZipEntry wires a storage to its zip member. Stored (uncompressed)
// members, which is what torch writes, are read in place with ReadAt, so a
// strided view reads only what it covers; compressed members (a re-zipped
// archive) are inflated from the start on each read.
func attachZipEntry(st *storage, zf *zip.File, r io.ReaderAt, fileSize int64) error {
	n := zf.UncompressedSize64
	if n > 1<<62 {
		return fmt.Errorf("declared size %d is impossible", n)
	}
	st.nbytes = int64(n)
	if zf.Method == zip.Store {
		off, err := zf.DataOffset()
		if err != nil {
			return err
		}
		if zf.CompressedSize64 != n || off < 0 || off > fileSize || int64(n) > fileSize-off {
			return fmt.Errorf("record of %d bytes at offset %d runs past the end of the file (%d bytes): truncated?", n, off, fileSize)
		}
		attachRange(st, r, off, int64(n))
		return nil
	}
	if n > zf.CompressedSize64*maxDeflateRatio {
		return fmt.Errorf("record claims an impossible compression ratio (%d -> %d bytes)", zf.CompressedSize64, n)
	}
	st.compressed = true
	st.read = func(p []byte, at int64) error {
		if at < 0 || at+int64(len(p)) > st.nbytes {
			return fmt.Errorf("read of %d bytes at %d outside storage of %d bytes", len(p), at, st.nbytes)
		}
		rc, err := zf.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		if _, err := io.CopyN(io.Discard, rc, at); err != nil {
			return err
		}
		_, err = io.ReadFull(rc, p)
		return err
	}
	return nil
}

// persistentLoad resolves a storage persistent id:
//
//	zip:    ('storage', StorageType, key, location, numel)
//	legacy: ('storage', StorageType, key, location, numel, view_metadata)
//
// where view_metadata is None or (view_key, offset, view_numel) for views
// into a larger root storage (pre-1.0 files). One *storage per key, so
// tensors sharing a storage share the object.
// stateDictUnpickler is the restricted unpickler both checkpoint formats
// use: allow-listed globals only, persistent ids resolved into storages
// (which the caller reads afterwards in its own format).
func stateDictUnpickler(storages map[string]*storage, legacy bool) *pickle.Unpickler {
	return &pickle.Unpickler{
		FindClass: findClass,
		Call:      call,
		Build:     build,
		PersistentLoad: func(pid any) (any, error) {
			return persistentLoad(pid, storages, legacy)
		},
	}
}

func persistentLoad(pid any, storages map[string]*storage, legacy bool) (any, error) {
	t, ok := pid.(*pickle.Tuple)
	if !ok || len(t.Items) < 5 {
		return nil, fmt.Errorf("persistent id is %s, not a storage tuple", pickle.TypeName(pid))
	}
	a := t.Items
	if tag, _ := a[0].(string); tag != "storage" {
		return nil, fmt.Errorf("persistent id of kind %s is not supported", pickle.TypeName(a[0]))
	}
	if len(a) != 5 && !(legacy && len(a) == 6) {
		return nil, fmt.Errorf("storage persistent id with %d fields", len(a))
	}
	typ, ok := a[1].(*storageType)
	if !ok {
		return nil, fmt.Errorf("storage type is %s", pickle.TypeName(a[1]))
	}
	key, err := storageKey(a[2])
	if err != nil {
		return nil, err
	}
	numel, err := toInt64(a[4], "storage size")
	if err != nil || numel < 0 {
		return nil, fmt.Errorf("storage %q has invalid size", key)
	}
	st, ok := storages[key]
	if ok {
		if st.dtype != typ.dtype || st.numel != numel {
			return nil, fmt.Errorf("storage %q is declared twice with different types or sizes", key)
		}
	} else {
		st = &storage{key: key, dtype: typ.dtype, esize: typ.size, numel: numel}
		storages[key] = st
	}
	if len(a) == 6 && a[5] != nil {
		return legacyView(st, a[5], storages)
	}
	return st, nil
}

func storageKey(v any) (string, error) {
	switch k := v.(type) {
	case string:
		if k == "" || len(k) > 256 || strings.ContainsAny(k, "/\\\x00") || k == "." || k == ".." {
			return "", fmt.Errorf("invalid storage key %q", k)
		}
		return k, nil
	case int64:
		return fmt.Sprint(k), nil
	}
	return "", fmt.Errorf("storage key is %s", pickle.TypeName(v))
}

// legacyView returns the storage view (view_key, offset, numel) of root.
func legacyView(root *storage, meta any, storages map[string]*storage) (any, error) {
	m, ok := meta.(*pickle.Tuple)
	if !ok || len(m.Items) != 3 {
		return nil, fmt.Errorf("storage view metadata is %s", pickle.TypeName(meta))
	}
	vkey, err := storageKey(m.Items[0])
	if err != nil {
		return nil, err
	}
	off, err1 := toInt64(m.Items[1], "view offset")
	n, err2 := toInt64(m.Items[2], "view size")
	if err1 != nil || err2 != nil || off < 0 || n < 0 {
		return nil, fmt.Errorf("storage view %q has invalid offset or size", vkey)
	}
	if v, ok := storages["view:"+vkey]; ok {
		return v, nil
	}
	v := &storage{key: root.key, dtype: root.dtype, esize: root.esize, numel: n, base: off, root: root}
	if off > root.numel || n > root.numel-off {
		return nil, fmt.Errorf("storage view %q (offset %d, %d elements) outside storage %q of %d elements", vkey, off, n, root.key, root.numel)
	}
	storages["view:"+vkey] = v
	return v, nil
}

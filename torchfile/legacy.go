package torchfile

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/medbert/medbert/torchfile/pickle"
)

// Legacy (pre-1.6) torch.save layout, from torch/serialization.py
// _legacy_save: five pickles back to back, then the storages:
//
//	pickle(MAGIC_NUMBER)            0x1950a86a20f9469cfc6c
//	pickle(PROTOCOL_VERSION)        1001
//	pickle(sys_info)                {protocol_version, little_endian, type_sizes}
//	pickle(state_dict)              storages as persistent ids
//	pickle(storage keys)            list of str
//	for each key, in list order: int64 LE element count, raw LE elements
var legacyMagic, _ = new(big.Int).SetString("1950a86a20f9469cfc6c", 16)

const legacyProtocol = 1001

func openLegacy(r io.ReaderAt, size int64, name string) (*File, error) {
	plain := &pickle.Unpickler{} // data only: no globals, calls or ids
	pos := int64(0)
	next := func(u *pickle.Unpickler, what string) (any, error) {
		v, end, err := u.Load(r, pos, size)
		if err != nil {
			return nil, fmt.Errorf("legacy %s pickle: %w", what, err)
		}
		pos = end
		return v, nil
	}

	magic, err := next(plain, "magic number")
	if err != nil {
		return nil, err
	}
	if m, ok := magic.(*big.Int); !ok || m.Cmp(legacyMagic) != 0 {
		return nil, errors.New("bad legacy magic number: not a torch.save checkpoint")
	}
	proto, err := next(plain, "protocol version")
	if err != nil {
		return nil, err
	}
	if p, ok := proto.(int64); !ok || p != legacyProtocol {
		return nil, fmt.Errorf("unsupported legacy protocol version %s", pickle.TypeName(proto))
	}
	info, err := next(plain, "sys_info")
	if err != nil {
		return nil, err
	}
	if d, ok := info.(*pickle.Dict); ok {
		if le, ok := d.Get("little_endian"); ok && le != true {
			return nil, errors.New("checkpoint was written on a big-endian machine: not supported")
		}
	} else {
		return nil, fmt.Errorf("sys_info is %s, not a dict", pickle.TypeName(info))
	}

	storages := map[string]*storage{}
	u := stateDictUnpickler(storages, true)
	obj, err := next(u, "state_dict")
	if err != nil {
		return nil, err
	}
	tf := &File{path: name, format: "legacy"}
	if err := tf.collect(obj); err != nil {
		return nil, err
	}
	keysV, err := next(plain, "storage keys")
	if err != nil {
		return nil, err
	}
	keys, ok := keysV.(*pickle.List)
	if !ok {
		return nil, fmt.Errorf("storage key list is %s", pickle.TypeName(keysV))
	}
	// Walk the storage records; only their headers are read here.
	for i, kv := range keys.Items {
		key, err := storageKey(kv)
		if err != nil {
			return nil, fmt.Errorf("storage key %d: %w", i, err)
		}
		st, ok := storages[key]
		if !ok {
			// The record's element size is unknown, so it cannot be
			// skipped to reach the ones after it.
			return nil, fmt.Errorf("storage %q is listed but no tensor uses it", key)
		}
		if st.read != nil {
			return nil, fmt.Errorf("storage %q is listed twice", key)
		}
		var hdr [8]byte
		if n, _ := r.ReadAt(hdr[:], pos); n != 8 {
			return nil, fmt.Errorf("storage %q: header at byte %d is past the end of the file (truncated?)", key, pos)
		}
		count := binary.LittleEndian.Uint64(hdr[:])
		avail := size - pos - 8
		if count > uint64(avail)/uint64(st.esize) {
			return nil, fmt.Errorf("storage %q declares %d elements of %d bytes but only %d bytes remain in the file", key, count, st.esize, avail)
		}
		nbytes := int64(count) * st.esize
		attachRange(st, r, pos+8, nbytes)
		pos += 8 + nbytes
	}
	for key, st := range storages {
		if st.root == nil && st.read == nil {
			return nil, fmt.Errorf("storage %q is used but missing from the storage list", key)
		}
	}
	if err := tf.validate(); err != nil {
		return nil, err
	}
	return tf, nil
}

// attachRange makes st read from the byte range [off, off+n) of r.
func attachRange(st *storage, r io.ReaderAt, off, n int64) {
	st.nbytes = n
	st.read = func(p []byte, at int64) error {
		if at < 0 || at+int64(len(p)) > n {
			return fmt.Errorf("read of %d bytes at %d outside storage of %d bytes", len(p), at, n)
		}
		got, err := r.ReadAt(p, off+at)
		if got == len(p) {
			return nil
		}
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
}

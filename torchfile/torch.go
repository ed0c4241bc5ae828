package torchfile

import (
	"fmt"

	"github.com/medbert/medbert/torchfile/pickle"
)

// global is the marker FindClass returns for an allow-listed Python name.
// It is data only: Call switches on it to build Go values.
type global struct{ module, name string }

func (g *global) String() string { return g.module + "." + g.name }

// storageType describes one torch.*Storage class.
type storageType struct {
	dtype string // safetensors dtype name
	size  int64  // bytes per element
}

// storageTypes are the legacy typed-storage classes torch.save names in
// persistent ids (torch 2.x still writes them for typed tensors).
var storageTypes = map[string]storageType{
	"FloatStorage":         {"F32", 4},
	"DoubleStorage":        {"F64", 8},
	"HalfStorage":          {"F16", 2},
	"BFloat16Storage":      {"BF16", 2},
	"LongStorage":          {"I64", 8},
	"IntStorage":           {"I32", 4},
	"ShortStorage":         {"I16", 2},
	"CharStorage":          {"I8", 1},
	"ByteStorage":          {"U8", 1},
	"BoolStorage":          {"BOOL", 1},
	"ComplexFloatStorage":  {"C64", 8},
	"ComplexDoubleStorage": {"C128", 16},
}

// Allow-listed callables. Nothing else can be named by a checkpoint.
var allowedGlobals = map[string]bool{
	"collections.OrderedDict":                    true,
	"torch._utils._rebuild_tensor":               true, // torch < 0.4 era files
	"torch._utils._rebuild_tensor_v2":            true,
	"torch._utils._rebuild_parameter":            true,
	"torch._utils._rebuild_parameter_with_state": true,
	"torch._tensor._rebuild_from_type_v2":        true,
	// Types that _rebuild_from_type_v2 may name; never called.
	"torch.Tensor":                 true,
	"torch.nn.parameter.Parameter": true,
}

// findClass is the pickle.FindClass hook: it resolves only allow-listed
// names and storage classes (CPU and CUDA, since GPU-saved files name
// torch.cuda.FloatStorage), and names the refused global otherwise.
func findClass(module, name string) (any, error) {
	full := module + "." + name
	if (module == "torch" || module == "torch.cuda") && storageTypes[name].size != 0 {
		st := storageTypes[name]
		return &st, nil
	}
	if allowedGlobals[full] {
		return &global{module, name}, nil
	}
	return nil, fmt.Errorf("refusing global %q: only tensor-rebuilding torch functions, torch storage types and collections.OrderedDict may appear in a weights file", full)
}

// storage is one typed storage of the checkpoint. Data is read lazily via
// read (byte offsets within the storage).
type storage struct {
	key    string
	dtype  string
	esize  int64
	numel  int64 // elements declared by the persistent id
	base   int64 // element offset into the root storage (legacy views)
	root   *storage
	nbytes int64 // bytes available for the root storage (set when the file layout is known)
	// compressed is set for a deflated zip member: its nbytes are a claim
	// that costs nothing in the file, so File.validate bounds it by what
	// the tensors viewing it need.
	compressed bool
	read       func(p []byte, off int64) error
}

// tensor is a strided view of a storage.
type tensor struct {
	st     *storage
	offset int64 // elements
	shape  []int
	stride []int64
}

func (t *tensor) numel() int64 {
	n := int64(1)
	for _, d := range t.shape {
		n *= int64(d)
	}
	return n
}

// call is the pickle.Call hook (REDUCE / NEWOBJ).
func call(fn any, args *pickle.Tuple) (any, error) {
	g, ok := fn.(*global)
	if !ok {
		return nil, fmt.Errorf("cannot call %s", pickle.TypeName(fn))
	}
	a := args.Items
	switch g.String() {
	case "collections.OrderedDict":
		if len(a) != 0 {
			return nil, fmt.Errorf("OrderedDict with constructor arguments is not supported")
		}
		return pickle.NewDict(), nil
	case "torch._utils._rebuild_tensor_v2":
		// (storage, storage_offset, size, stride, requires_grad,
		// backward_hooks[, metadata]); the last three are irrelevant to
		// the values.
		if len(a) < 6 || len(a) > 7 {
			return nil, fmt.Errorf("_rebuild_tensor_v2 with %d arguments", len(a))
		}
		return rebuildTensor(a[:4])
	case "torch._utils._rebuild_tensor":
		if len(a) != 4 {
			return nil, fmt.Errorf("_rebuild_tensor with %d arguments", len(a))
		}
		return rebuildTensor(a)
	case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
		if len(a) < 3 || len(a) > 4 {
			return nil, fmt.Errorf("%s with %d arguments", g.name, len(a))
		}
		t, ok := a[0].(*tensor)
		if !ok {
			return nil, fmt.Errorf("%s of %s", g.name, pickle.TypeName(a[0]))
		}
		return t, nil
	case "torch._tensor._rebuild_from_type_v2":
		// (func, new_type, args, state): a tensor subclass wrapper. Only
		// plain tensors and Parameters are accepted; func is re-dispatched
		// through this same allow-list.
		if len(a) != 4 {
			return nil, fmt.Errorf("_rebuild_from_type_v2 with %d arguments", len(a))
		}
		if nt, ok := a[1].(*global); !ok || (nt.String() != "torch.Tensor" && nt.String() != "torch.nn.parameter.Parameter") {
			return nil, fmt.Errorf("_rebuild_from_type_v2 to %s is not supported", pickle.TypeName(a[1]))
		}
		inner, ok := a[2].(*pickle.Tuple)
		if !ok {
			return nil, fmt.Errorf("_rebuild_from_type_v2 arguments are %s", pickle.TypeName(a[2]))
		}
		v, err := call(a[0], inner)
		if err != nil {
			return nil, err
		}
		if _, ok := v.(*tensor); !ok {
			return nil, fmt.Errorf("_rebuild_from_type_v2 did not produce a tensor")
		}
		return v, nil
	}
	return nil, fmt.Errorf("%s cannot be called", g)
}

// build is the pickle.Build hook. torch.save uses BUILD to attach
// `_metadata` (module versions) to the state_dict and, for Parameters with
// Python attributes, a state; neither affects the weights, so the state is
// dropped after a type check.
func build(obj, state any) (any, error) {
	switch obj.(type) {
	case *pickle.Dict, *tensor:
		return obj, nil
	}
	return nil, fmt.Errorf("BUILD on %s is not supported", pickle.TypeName(obj))
}

func toInt64(v any, what string) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	}
	return 0, fmt.Errorf("%s is %s, not an int", what, pickle.TypeName(v))
}

func intTuple(v any, what string) ([]int64, error) {
	t, ok := v.(*pickle.Tuple)
	if !ok {
		// torch.Size pickles as a tuple; lists are tolerated.
		l, isList := v.(*pickle.List)
		if !isList {
			return nil, fmt.Errorf("%s is %s, not a tuple", what, pickle.TypeName(v))
		}
		t = &pickle.Tuple{Items: l.Items}
	}
	if len(t.Items) > maxDims {
		return nil, fmt.Errorf("%s has %d dimensions (limit %d)", what, len(t.Items), maxDims)
	}
	out := make([]int64, len(t.Items))
	for i, it := range t.Items {
		n, err := toInt64(it, what)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

const maxDims = 64

// rebuildTensor builds a view from (storage, offset, size, stride). Bounds
// are checked later in validate, once the storage sizes in the file are
// known.
func rebuildTensor(a []any) (any, error) {
	st, ok := a[0].(*storage)
	if !ok {
		return nil, fmt.Errorf("tensor storage is %s", pickle.TypeName(a[0]))
	}
	off, err := toInt64(a[1], "storage offset")
	if err != nil {
		return nil, err
	}
	size, err := intTuple(a[2], "tensor size")
	if err != nil {
		return nil, err
	}
	stride, err := intTuple(a[3], "tensor stride")
	if err != nil {
		return nil, err
	}
	if len(size) != len(stride) {
		return nil, fmt.Errorf("tensor size has %d dimensions but stride has %d", len(size), len(stride))
	}
	shape := make([]int, len(size))
	for i, s := range size {
		if s < 0 || s > 1<<40 {
			return nil, fmt.Errorf("tensor dimension %d has size %d", i, s)
		}
		shape[i] = int(s)
	}
	if off < 0 {
		return nil, fmt.Errorf("negative storage offset %d", off)
	}
	return &tensor{st: st, offset: off, shape: shape, stride: stride}, nil
}

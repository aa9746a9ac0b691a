package graph

import "fmt"

// DType is the element type of a tensor.
type DType uint8

// The element types. The zero value is Invalid so that a forgotten dtype is caught.
const (
	Invalid DType = iota
	Bool
	Uint8
	Int32
	Int64
	Float16
	BFloat16
	Float32
	Float64
)

// DTypes lists every valid element type.
var DTypes = []DType{Bool, Uint8, Int32, Int64, Float16, BFloat16, Float32, Float64}

var dtypeNames = [...]string{"invalid", "bool", "uint8", "int32", "int64", "float16", "bfloat16", "float32", "float64"}
var dtypeSizes = [...]int{0, 1, 1, 4, 8, 2, 2, 4, 8}

// String gives the NumPy name of the type: "float32", "int64", "bool", ...
func (d DType) String() string {
	if int(d) < len(dtypeNames) {
		return dtypeNames[d]
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// Size is the number of bytes one element occupies in a buffer.
func (d DType) Size() int {
	if int(d) < len(dtypeSizes) {
		return dtypeSizes[d]
	}
	return 0
}

// Valid reports whether d is one of the element types.
func (d DType) Valid() bool { return d >= Bool && d <= Float64 }

// IsFloat reports whether d is a floating-point type.
func (d DType) IsFloat() bool { return d >= Float16 && d <= Float64 }

// IsInt reports whether d is an integer type (Bool excluded).
func (d DType) IsInt() bool { return d == Uint8 || d == Int32 || d == Int64 }

// ParseDType is the inverse of String.
func ParseDType(s string) (DType, error) {
	for _, d := range DTypes {
		if d.String() == s {
			return d, nil
		}
	}
	return Invalid, fmt.Errorf("graph: unknown dtype %q", s)
}

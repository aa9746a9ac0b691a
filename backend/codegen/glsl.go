package codegen

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/crossbar-compute/crossbar/graph"
)

// GLSL is the dialect of OpenGL 4.3 compute shaders. Buffers are std430 shader storage
// blocks; Bool and Uint8 are stored as uint, Float16 and BFloat16 as float (see
// GLSLStorage), so that every element is a whole 32-bit word that one thread may write.
type GLSL struct {
	Int64 bool // GL_ARB_gpu_shader_int64: int64_t and uint64_t
	Fp64  bool // double arithmetic (core since 4.0; only sqrt and rounding among the math functions)
}

// GLSLStorage is the element size in bytes of dtype dt in a GLSL buffer, and whether the
// host representation must be converted on the way in and out.
func GLSLStorage(dt graph.DType) (size int, convert bool) {
	switch dt {
	case graph.Bool, graph.Uint8, graph.Float16, graph.BFloat16:
		return 4, true
	}
	return dt.Size(), false
}

// Name implements Dialect.
func (GLSL) Name() string { return "glsl" }

var glslScalars = [...]string{Void: "void", Bool: "bool", I32: "int", U32: "uint", I64: "int64_t", U64: "uint64_t", F32: "float", F64: "double"}
var glslVecPrefix = [...]string{Bool: "bvec", I32: "ivec", U32: "uvec", I64: "i64vec", U64: "u64vec", F32: "vec", F64: "dvec"}

// Type implements Dialect.
func (g GLSL) Type(t Type) (string, bool) {
	switch {
	case (t.S == I64 || t.S == U64) && !g.Int64, t.S == F64 && !g.Fp64:
		return glslScalars[t.S], false
	case t.IsVector():
		return fmt.Sprintf("%s%d", glslVecPrefix[t.S], t.Vec), t.Vec <= 4
	}
	return glslScalars[t.S], true
}

// Literal implements Dialect.
func (GLSL) Literal(e *Expr) string {
	switch e.Type.S {
	case Bool:
		return strconv.FormatBool(e.I != 0)
	case I32:
		if e.I == math.MinInt32 {
			return "(-2147483647 - 1)"
		}
		return strconv.FormatInt(e.I, 10)
	case U32:
		return strconv.FormatUint(uint64(uint32(e.I)), 10) + "u"
	case I64:
		if e.I == math.MinInt64 {
			return "(-9223372036854775807l - 1l)"
		}
		return strconv.FormatInt(e.I, 10) + "l"
	case U64:
		return strconv.FormatUint(uint64(e.I), 10) + "ul"
	case F32:
		v := e.F
		switch {
		case math.IsNaN(v):
			return "uintBitsToFloat(0x7fc00000u)"
		case math.IsInf(v, 1):
			return "uintBitsToFloat(0x7f800000u)"
		case math.IsInf(v, -1):
			return "uintBitsToFloat(0xff800000u)"
		}
		return floatLit(strconv.FormatFloat(v, 'g', -1, 32))
	case F64:
		v := e.F
		switch {
		case math.IsNaN(v):
			return "packDouble2x32(uvec2(0u, 0x7ff80000u))"
		case math.IsInf(v, 1):
			return "packDouble2x32(uvec2(0u, 0x7ff00000u))"
		case math.IsInf(v, -1):
			return "packDouble2x32(uvec2(0u, 0xfff00000u))"
		}
		return floatLit(strconv.FormatFloat(v, 'g', -1, 64)) + "lf"
	}
	return "0"
}

// floatLit makes a Go float literal a C one: 1 -> 1.0, 1e+10 stays.
func floatLit(s string) string {
	if !strings.ContainsAny(s, ".eE") {
		return s + ".0"
	}
	return s
}

// Special implements Dialect.
func (GLSL) Special(s Special, dim int) string {
	c := "xyz"[dim : dim+1]
	switch s {
	case LocalID:
		return "gl_LocalInvocationID." + c
	case GroupID:
		return "gl_WorkGroupID." + c
	}
	return "gl_NumWorkGroups." + c
}

// Subscript implements Dialect: GLSL arrays take 32-bit indices.
func (GLSL) Subscript(index string, _ Scalar) string { return "uint(" + index + ")" }

func glslBuffer(p Param, t Type) string {
	if t.IsVector() {
		return p.Name + "v"
	}
	return p.Name
}

// Load implements Dialect.
func (GLSL) Load(p Param, t Type, index string) string {
	s := fmt.Sprintf("%s[%s]", glslBuffer(p, t), index)
	if p.DType == graph.Bool {
		return "(" + s + " != 0u)"
	}
	return s
}

// Store implements Dialect.
func (GLSL) Store(p Param, t Type, index, value string) string {
	if p.DType == graph.Bool {
		value = "uint(" + value + ")"
	}
	return fmt.Sprintf("%s[%s] = %s;", glslBuffer(p, t), index, value)
}

// Cast implements Dialect: GLSL converts with constructors.
func (g GLSL) Cast(to, _ Type, x string) string {
	t, _ := g.Type(to)
	return t + "(" + x + ")"
}

// Binary implements Dialect: GLSL spells every operator the IR uses as C does.
func (GLSL) Binary(Op, Type, string, string) string { return "" }

// Decl implements Dialect: float values marked exact are precise, so that the compiler
// neither contracts them into fma nor folds x*0 into 0.
func (GLSL) Decl(d *Decl) string {
	if d.Exact && d.Type.S.IsFloat() {
		return "precise "
	}
	return ""
}

// Barrier implements Dialect.
func (GLSL) Barrier() string { return "memoryBarrierShared(); barrier();" }

// Unroll implements Dialect: GLSL has no portable unroll hint; drivers unroll small loops
// with constant bounds.
func (GLSL) Unroll() string { return "" }

// Intrinsic implements Dialect: GLSL 4.3 has no asynchronous copies or matrix fragments.
func (GLSL) Intrinsic(*Intrinsic, []string) (string, string, bool) { return "", "", false }

var glslNative = map[Fn]string{
	FnSqrt: "sqrt", FnExp: "exp", FnExp2: "exp2", FnLog: "log", FnLog2: "log2", FnSin: "sin", FnCos: "cos",
	FnTan: "tan", FnSinh: "sinh", FnCosh: "cosh",
	FnTrunc: "trunc", FnFloor: "floor", FnCeil: "ceil", FnRoundEven: "roundEven", FnAbs: "abs", FnFma: "fma",
	FnIsNaN: "isnan", FnMin: "min", FnMax: "max",
}

// glslDouble lists the intrinsics GLSL has for double.
var glslDouble = map[Fn]bool{FnSqrt: true, FnTrunc: true, FnFloor: true, FnCeil: true, FnRoundEven: true,
	FnAbs: true, FnFma: true, FnIsNaN: true, FnMin: true, FnMax: true, FnFmod: true, FnF2I: true}

// Call implements Dialect.
func (g GLSL) Call(fn Fn, t Type, argTypes []Type, args []string) (string, string, bool) {
	at := t.S
	if len(argTypes) > 0 {
		at = argTypes[0].S
	}
	if at == F64 && !glslDouble[fn] {
		return "", "", false
	}
	call := func(name string) string { return name + "(" + strings.Join(args, ", ") + ")" }
	if (fn == FnMin || fn == FnMax) && (at == I64 || at == U64) {
		// Mesa 22 crashes compiling the int64 min and max built-ins.
		if fn == FnMin {
			return fmt.Sprintf("(%s < %s ? %s : %s)", args[0], args[1], args[0], args[1]), "", true
		}
		return fmt.Sprintf("(%s > %s ? %s : %s)", args[0], args[1], args[0], args[1]), "", true
	}
	if name, ok := glslNative[fn]; ok {
		return call(name), "", true
	}
	var helper string
	switch fn {
	case FnErf:
		helper = "xb_erf"
	case FnAtan:
		helper = "xb_atan"
	case FnAsin:
		helper = "xb_asin"
	case FnAcos:
		helper = "xb_acos"
	case FnTanh:
		helper = "xb_tanh"
	case FnPow:
		helper = "xb_pow"
	case FnFmod:
		helper = "xb_fmod_" + at.String()
	case FnIPow:
		helper = "xb_ipow_" + at.String()
	case FnF2I:
		helper = "xb_f2i_" + t.S.String() + "_" + at.String()
	case FnRoundF16:
		helper = "xb_round_f16"
	case FnRoundBF16:
		helper = "xb_round_bf16"
	default:
		return "", "", false
	}
	if _, ok := g.helper(helper); !ok {
		return "", "", false
	}
	return call(helper), helper, true
}

// Kernel implements Dialect.
func (g GLSL) Kernel(p *Program, u Usage, body string) (string, error) {
	var b strings.Builder
	b.WriteString("#version 430\n")
	if u.Types[I64] || u.Types[U64] {
		b.WriteString("#extension GL_ARB_gpu_shader_int64 : require\n")
	}
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "// %s\n", n)
	}
	fmt.Fprintf(&b, "layout(local_size_x = %d, local_size_y = %d, local_size_z = %d) in;\n\n", p.Local[0], max(p.Local[1], 1), max(p.Local[2], 1))
	for i, prm := range p.Params {
		st := glslStorage(prm.DType)
		access := "readonly "
		if prm.Write {
			access = "writeonly "
		}
		block := strings.ToUpper(prm.Name[:1]) + prm.Name[1:]
		fmt.Fprintf(&b, "layout(std430, binding = %d) %sbuffer %s { %s %s[]; };\n", i, access, block, st, prm.Name)
		if prm.Vec > 1 {
			vt, _ := g.Type(Type{S: ComputeType(prm.DType), Vec: prm.Vec})
			fmt.Fprintf(&b, "layout(std430, binding = %d) %sbuffer %sV { %s %sv[]; };\n", i, access, block, vt, prm.Name)
		}
	}
	for _, s := range u.Shared {
		fmt.Fprintf(&b, "shared %s\n", s)
	}
	done := map[string]bool{}
	var write func(h string)
	write = func(h string) {
		if done[h] {
			return
		}
		done[h] = true
		for _, dep := range glslDeps[h] {
			write(dep)
		}
		src, _ := g.helper(h)
		b.WriteString("\n" + src)
	}
	for _, h := range u.Helpers {
		write(h)
	}
	b.WriteString("\nvoid main() {\n")
	b.WriteString(body)
	b.WriteString("}\n")
	return b.String(), nil
}

func glslStorage(dt graph.DType) string {
	switch dt {
	case graph.Bool, graph.Uint8:
		return "uint"
	case graph.Int32:
		return "int"
	case graph.Int64:
		return "int64_t"
	case graph.Float64:
		return "double"
	}
	return "float"
}

// helper returns the source of a prelude function.
func (g GLSL) helper(name string) (string, bool) {
	if src, ok := glslHelpers[name]; ok {
		return src, true
	}
	// Typed families: xb_fmod_<float>, xb_ipow_<int>, xb_f2i_<int>_<float>.
	parts := strings.Split(name, "_")
	typ := func(s string) (string, string, bool) { // GLSL type, literal suffix
		switch s {
		case "f32":
			return "float", "", true
		case "f64":
			return "double", "lf", g.Fp64
		case "i32":
			return "int", "", true
		case "u32":
			return "uint", "u", true
		case "i64":
			return "int64_t", "l", g.Int64
		}
		return "", "", false
	}
	switch {
	case len(parts) == 3 && parts[1] == "fmod":
		ft, sfx, ok := typ(parts[2])
		if !ok {
			return "", false
		}
		nan := "uintBitsToFloat(0x7fc00000u)"
		if ft == "double" {
			nan = "packDouble2x32(uvec2(0u, 0x7ff80000u))"
		}
		return strings.NewReplacer("FT", ft, "SFX", sfx, "NAME", name, "NAN", nan).Replace(glslFmod), true
	case len(parts) == 3 && parts[1] == "ipow":
		it, sfx, ok := typ(parts[2])
		if !ok {
			return "", false
		}
		src := glslIPow
		if parts[2] == "u32" {
			src = glslUPow
		}
		return strings.NewReplacer("IT", it, "SFX", sfx, "NAME", name).Replace(src), true
	case len(parts) == 4 && parts[1] == "f2i":
		it, _, ok1 := typ(parts[2])
		ft, fsfx, ok2 := typ(parts[3])
		if !ok1 || !ok2 {
			return "", false
		}
		src := glslF2I32
		if parts[2] == "i64" {
			src = glslF2I64
		}
		return strings.NewReplacer("IT", it, "FT", ft, "FS", fsfx, "NAME", name).Replace(src), true
	}
	return "", false
}

// glslDeps lists the helpers that a helper calls.
var glslDeps = map[string][]string{"xb_asin": {"xb_atan"}, "xb_acos": {"xb_atan"}}

var glslHelpers = map[string]string{
	"xb_atan": `// xb_atan is Cephes' atanf (relative error about 1e-7); Mesa's atan is off by 1e-5 near 0.
float xb_atan(float x) {
    float a = abs(x), y0 = 0.0;
    if (a > 2.414213562373095) {
        y0 = 1.5707963267948966;
        a = -1.0 / a;
    } else if (a > 0.41421356237309503) {
        y0 = 0.7853981633974483;
        a = (a - 1.0) / (a + 1.0);
    }
    float z = a * a;
    float y = y0 + ((((0.0805374449538 * z - 0.138776856032) * z + 0.199777106478) * z - 0.333329491539) * z * a + a);
    return x < 0.0 ? -y : y;
}
`,
	"xb_asin": `// xb_asin through xb_atan: Mesa's own asin is off by 2e-4.
float xb_asin(float x) { return xb_atan(x / sqrt((1.0 - x) * (1.0 + x))); }
`,
	"xb_acos": `// xb_acos through xb_atan: Mesa's own acos is off by 2e-4.
float xb_acos(float x) { return 2.0 * xb_atan(sqrt((1.0 - x) / (1.0 + x))); }
`,
	"xb_tanh": `// xb_tanh keeps NaN, which Mesa's tanh turns into -1.
float xb_tanh(float x) { return isnan(x) ? x : tanh(x); }
`,
	"xb_round_f16": `// xb_round_f16 rounds to the nearest float16 value, ties to even (overflow gives Inf).
float xb_round_f16(float x) {
    uint u = floatBitsToUint(x);
    uint a = u & 0x7fffffffu;
    if (a >= 0x7f800000u) return x;
    if (a >= 0x477ff000u) return uintBitsToFloat((u & 0x80000000u) | 0x7f800000u);
    if (a < 0x38800000u) return roundEven(x * 16777216.0) * 5.9604644775390625e-8; // subnormal: multiples of 2^-24
    a += 0xfffu + ((a >> 13) & 1u);
    return uintBitsToFloat((u & 0x80000000u) | (a & 0xffffe000u));
}
`,
	"xb_round_bf16": `// xb_round_bf16 rounds to the nearest bfloat16 value, ties to even; NaN stays NaN.
float xb_round_bf16(float x) {
    uint u = floatBitsToUint(x);
    if (isnan(x)) return uintBitsToFloat((u | 0x00400000u) & 0xffff0000u);
    u += 0x7fffu + ((u >> 16) & 1u);
    return uintBitsToFloat(u & 0xffff0000u);
}
`,
	"xb_erf": `// xb_erf: a series below 0.5, Numerical Recipes' erfc (relative error < 1.2e-7) above.
float xb_erf(float x) {
    float z = abs(x);
    if (z < 0.5) {
        float t = x * x;
        return x * (1.1283791670955126 + t * (-0.37612638903183754 + t * (0.11283791670955126 + t * (-0.026866170645131252
            + t * (0.005223977625442188 + t * (-0.0008548327023450853 + t * 0.00012055311614268296))))));
    }
    float t = 1.0 / (1.0 + 0.5 * z);
    float c = t * exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
        + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
    return x < 0.0 ? c - 1.0 : 1.0 - c;
}
`,
	"xb_pow": `// xb_pow is C's pow: exact special cases, negative bases with integer exponents.
float xb_pow(float x, float y) {
    float inf = uintBitsToFloat(0x7f800000u);
    if (y == 0.0 || x == 1.0) return 1.0;
    if (isnan(x) || isnan(y)) return uintBitsToFloat(0x7fc00000u);
    float ax = abs(x);
    if (isinf(y)) {
        if (ax == 1.0) return 1.0;
        return (ax > 1.0) == (y > 0.0) ? inf : 0.0;
    }
    bool yint = trunc(y) == y;
    bool yodd = yint && abs(y) < 16777216.0 && fract(y * 0.5) != 0.0;
    if (x == 0.0) {
        if (y < 0.0) return yodd ? 1.0 / x : inf;
        return yodd ? x : 0.0;
    }
    if (isinf(x)) {
        if (x > 0.0) return y > 0.0 ? inf : 0.0;
        if (y > 0.0) return yodd ? -inf : inf;
        return yodd ? -0.0 : 0.0;
    }
    if (x < 0.0 && !yint) return uintBitsToFloat(0x7fc00000u);
    float r = exp2(y * log2(ax));
    return x < 0.0 && yodd ? -r : r;
}
`,
}

// glslFmod is C's fmod, exact: it subtracts |y|·2^k for decreasing k, each step exact.
const glslFmod = `// NAME is C's fmod, exact: each step subtracts |y|*2^k exactly (Sterbenz).
FT NAME(FT x, FT y) {
    if (isnan(x) || isnan(y) || isinf(x) || y == 0.0SFX) return NAN;
    FT a = abs(x), b = abs(y);
    if (isinf(y) || a < b) return x;
    int ea, eb;
    frexp(a, ea);
    frexp(b, eb);
    for (int k = ea - eb; k >= 0; k--) {
        FT t = ldexp(b, k);
        if (a >= t) a -= t;
    }
    return x < 0.0SFX ? -a : a;
}
`

const glslIPow = `// NAME is x**y with wrapping; a negative exponent truncates 1/x**|y|.
IT NAME(IT x, IT y) {
    if (y < 0SFX) return x == 1SFX ? 1SFX : (x == -1SFX ? ((y & 1SFX) == 0SFX ? 1SFX : -1SFX) : 0SFX);
    IT r = 1SFX;
    while (y > 0SFX) {
        if ((y & 1SFX) != 0SFX) r *= x;
        x *= x;
        y >>= 1;
    }
    return r;
}
`

const glslUPow = `// NAME is x**y with wrapping.
IT NAME(IT x, IT y) {
    IT r = 1SFX;
    while (y > 0SFX) {
        if ((y & 1SFX) != 0SFX) r *= x;
        x *= x;
        y >>= 1;
    }
    return r;
}
`

const glslF2I32 = `// NAME truncates toward zero like the CPU: NaN is 0, values beyond int64 saturate, then the
// result wraps to 32 bits.
IT NAME(FT x) {
    if (isnan(x)) return IT(0);
    if (abs(x) < 2147483648.0FS) return IT(int(x));
    if (x >= 9223372036854775807.0FS) return IT(-1);
    if (x <= -9223372036854775808.0FS) return IT(0);
    return IT(uint(x - 4294967296.0FS * floor(x / 4294967296.0FS)));
}
`

const glslF2I64 = `// NAME truncates toward zero like the CPU: NaN is 0, values beyond int64 saturate.
IT NAME(FT x) {
    if (isnan(x)) return 0l;
    if (x >= 9223372036854775807.0FS) return 9223372036854775807l;
    if (x <= -9223372036854775808.0FS) return -9223372036854775807l - 1l;
    return int64_t(x);
}
`

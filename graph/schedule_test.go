package graph

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func must(n *Node, err error) *Node {
	if err != nil {
		panic(err)
	}
	return n
}

func host(dt DType, shape ...int) *Node {
	return must(Host(dt, shape, make([]byte, NumElements(shape)*dt.Size())))
}

// describe summarizes a kernel: its core, the ops of its expression (a shared node once),
// and its input count.
func describe(k *Kernel) string {
	var ops []string
	seen := map[*Expr]bool{}
	var walk func(e *Expr)
	walk = func(e *Expr) {
		if seen[e] {
			return
		}
		seen[e] = true
		for _, s := range e.Src {
			walk(s)
		}
		switch e.Op {
		case OpLoad, OpConst:
		case OpCoreValue:
			ops = append(ops, "core")
		default:
			ops = append(ops, e.Op.String())
		}
	}
	core := "-"
	if k.Core != nil {
		core = k.Core.Op.String()
		var pro []string
		for _, s := range k.Core.Src {
			before := len(ops)
			walk(s)
			pro = append(pro, ops[before:]...)
			ops = ops[:before]
		}
		if len(pro) > 0 {
			core += "(" + strings.Join(pro, ",") + ")"
		}
	}
	walk(k.Expr)
	return fmt.Sprintf("%s [%s] in=%d", core, strings.Join(ops, ","), len(k.Inputs))
}

func schedule(t *testing.T, roots ...*Node) []string {
	t.Helper()
	if err := Verify(roots); err != nil {
		t.Fatal(err)
	}
	ks, err := Schedule(roots)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range ks {
		out = append(out, describe(k))
	}
	return out
}

func TestScheduleFusion(t *testing.T) {
	f32 := Float32
	a := host(f32, 4, 8)
	b := host(f32, 4, 8)
	w := host(f32, 8, 16)
	bias := host(f32, 16)
	row := host(f32, 8)

	cases := []struct {
		name  string
		roots func() []*Node
		want  []string
	}{
		{"elementwise chain is one kernel", func() []*Node {
			s := must(Binary(OpAdd, a, b))
			return []*Node{must(Unary(OpExp, must(Binary(OpMul, s, a))))}
		}, []string{"- [add,mul,exp] in=2"}},
		{"broadcast operand is a view", func() []*Node {
			r := must(Expand(must(Reshape(row, []int{1, 8})), []int{4, 8}))
			return []*Node{must(Binary(OpAdd, a, r))}
		}, []string{"- [add] in=2"}},
		{"elementwise fuses into the reduction", func() []*Node {
			return []*Node{must(Reduce(OpSum, must(Unary(OpExp, must(Binary(OpMul, a, b)))), []int{1}))}
		}, []string{"sum(mul,exp) [core] in=2"}},
		{"dropping a reduction's unit axes costs no kernel", func() []*Node {
			s := must(Reduce(OpSum, must(Binary(OpMul, a, b)), []int{0, 1}))
			return []*Node{must(Reshape(must(Reshape(s, []int{1})), nil))}
		}, []string{"sum(mul) [core] in=2"}},
		{"epilogue after a reduction", func() []*Node {
			s := must(Reduce(OpSum, a, []int{0, 1}))
			c := must(Const(ScalarOf(0.5, f32), f32))
			return []*Node{must(Unary(OpSqrt, must(Binary(OpMul, s, must(Reshape(c, []int{1, 1}))))))}
		}, []string{"sum [core,mul,sqrt] in=1"}},
		{"matmul with bias and relu is one kernel", func() []*Node {
			mm := must(Contract(a, w))
			bb := must(Expand(must(Reshape(bias, []int{1, 16})), []int{4, 16}))
			zero := must(Expand(must(Reshape(must(Const(Scalar{}, f32)), []int{1, 1})), []int{4, 16}))
			return []*Node{must(Binary(OpMax, must(Binary(OpAdd, mm, bb)), zero))}
		}, []string{"contract [core,add,max] in=3"}},
		{"transposed matmul operand is read in place", func() []*Node {
			return []*Node{must(Contract(a, must(Permute(b, []int{1, 0}))))}
		}, []string{"contract [core] in=2"}},
		{"matmul operand that is computed gets its own kernel", func() []*Node {
			return []*Node{must(Contract(must(Unary(OpExp, a)), w))}
		}, []string{"- [exp] in=1", "contract [core] in=2"}},
		{"softmax: max, then exp-sum, then divide", func() []*Node {
			m := must(Expand(must(Reduce(OpReduceMax, a, []int{1})), []int{4, 8}))
			e := must(Unary(OpExp, must(Binary(OpSub, a, m))))
			s := must(Expand(must(Reduce(OpSum, e, []int{1})), []int{4, 8}))
			return []*Node{must(Binary(OpDiv, e, s))}
		}, []string{"reduce_max [core] in=1", "- [sub,exp] in=2", "sum [core] in=1", "- [div] in=2"}},
		{"a reduction is never computed twice", func() []*Node {
			s := must(Reduce(OpSum, a, []int{1}))
			return []*Node{must(Binary(OpMul, s, s))}
		}, []string{"sum [core,core,mul] in=1"}},
		{"a core read twice by its epilogue, and by another kernel", func() []*Node {
			s := must(Reduce(OpSum, a, []int{1}))
			sq := must(Binary(OpMul, s, s))
			return []*Node{sq, must(Unary(OpExp, s))}
		}, []string{"sum [core] in=1", "- [mul] in=1", "- [exp] in=1"}},
		{"padding a computed value materializes it", func() []*Node {
			return []*Node{must(Pad(must(Unary(OpExp, a)), [][2]int{{1, 1}, {0, 0}}))}
		}, []string{"- [exp] in=1", "- [] in=1"}},
		{"padding a buffer is a masked load", func() []*Node {
			return []*Node{must(Unary(OpExp, must(Pad(a, [][2]int{{1, 1}, {0, 0}}))))}
		}, []string{"- [exp] in=1"}},
		{"reshape of a transpose needs a copy", func() []*Node {
			tr := must(Permute(a, []int{1, 0}))
			return []*Node{must(Unary(OpNeg, must(Reshape(tr, []int{32}))))}
		}, []string{"- [] in=1", "- [neg] in=1"}},
		{"two roots share a kernel output", func() []*Node {
			e := must(Unary(OpExp, a))
			return []*Node{e, must(Reduce(OpSum, e, []int{0}))}
		}, []string{"- [exp] in=1", "sum [core] in=1"}},
		{"a value read twice is computed once, in its reader's kernel", func() []*Node {
			s := must(Binary(OpAdd, a, b))
			return []*Node{must(Binary(OpMul, must(Unary(OpExp, s)), s))}
		}, []string{"- [add,exp,mul] in=2"}},
		{"a value read twice by one node", func() []*Node {
			s := must(Unary(OpExp, a))
			return []*Node{must(Binary(OpMul, s, s))}
		}, []string{"- [exp,mul] in=1"}},
		{"matmul with bias and GELU is one kernel", func() []*Node {
			mm := must(Contract(a, w))
			bb := must(Expand(must(Reshape(bias, []int{1, 16})), []int{4, 16}))
			x := must(Binary(OpAdd, mm, bb))
			half := must(Expand(must(Reshape(must(Const(ScalarOf(0.5, f32), f32)), []int{1, 1})), []int{4, 16}))
			erf := must(Unary(OpErf, must(Binary(OpMul, x, half))))
			return []*Node{must(Binary(OpMul, x, erf))}
		}, []string{"contract [core,add,mul,erf,mul] in=3"}},
		{"a shared value inside a reduction's prologue", func() []*Node {
			s := must(Binary(OpSub, a, b))
			return []*Node{must(Reduce(OpSum, must(Binary(OpMul, s, s)), []int{1}))}
		}, []string{"sum(sub,mul) [core] in=2"}},
		{"a value read through two views gets its own kernel", func() []*Node {
			s := must(Unary(OpExp, a))
			return []*Node{must(Binary(OpAdd, s, must(Flip(s, []bool{false, true}))))}
		}, []string{"- [exp] in=1", "- [add] in=1"}},
		{"a value read by two kernels gets its own", func() []*Node {
			s := must(Unary(OpExp, a))
			return []*Node{must(Unary(OpNeg, s)), must(Unary(OpSqrt, s))}
		}, []string{"- [exp] in=1", "- [neg] in=1", "- [sqrt] in=1"}},
		{"a reduction's epilogue read by two kernels stays with it", func() []*Node {
			half := must(Reshape(must(Const(ScalarOf(0.5, f32), f32)), []int{1, 1}))
			m := must(Binary(OpMul, must(Reduce(OpSum, a, []int{1})), must(Expand(half, []int{4, 1}))))
			d := must(Binary(OpSub, a, must(Expand(m, []int{4, 8}))))
			return []*Node{must(Reduce(OpSum, must(Binary(OpMul, d, d)), []int{1})), must(Unary(OpExp, m))}
		}, []string{"sum [core,mul] in=1", "sum(sub,mul) [core] in=2", "- [exp] in=1"}},
		{"gather reads its operands", func() []*Node {
			idx := host(Int64, 3)
			return []*Node{must(Gather(a, 1, idx))}
		}, []string{"gather [core] in=2"}},
		{"a running sum takes a prologue and an epilogue", func() []*Node {
			cs := must(CumSum(must(Binary(OpMul, a, b)), 1, false, false))
			return []*Node{must(Unary(OpExp, cs))}
		}, []string{"cumsum(mul) [core,exp] in=2"}},
		{"a running sum of a running sum is two kernels", func() []*Node {
			cs := must(CumSum(a, 0, true, false))
			return []*Node{must(CumSum(cs, 1, false, true))}
		}, []string{"cumsum [core] in=1", "cumsum [core] in=1"}},
		{"a softmax takes a prologue and an epilogue", func() []*Node {
			sm := must(Softmax(must(Binary(OpMul, a, b)), 1, false))
			return []*Node{must(Unary(OpExp, sm))}
		}, []string{"softmax(mul) [core,exp] in=2"}},
		{"a layer norm takes a prologue and its scale and bias as an epilogue", func() []*Node {
			ln := must(LayerNorm(must(Binary(OpMul, a, b)), 1, 1e-5))
			return []*Node{must(Binary(OpAdd, must(Binary(OpMul, ln, b)), a))}
		}, []string{"layer_norm(mul) [core,mul,add] in=2"}},
		{"an argmax takes a prologue and an epilogue", func() []*Node {
			am := must(ArgExtreme(must(Binary(OpMul, a, b)), 1, false))
			return []*Node{must(Cast(am, Int32))}
		}, []string{"argmax(mul) [core,cast] in=2"}},
		{"a log-softmax of a softmax is two kernels", func() []*Node {
			sm := must(Softmax(a, 0, false))
			return []*Node{must(Softmax(sm, 1, true))}
		}, []string{"softmax [core] in=1", "log_softmax [core] in=1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := schedule(t, c.roots()...)
			if strings.Join(got, " | ") != strings.Join(c.want, " | ") {
				t.Errorf("kernels:\n  got  %q\n  want %q", got, c.want)
			}
		})
	}
}

// A chain of nodes each read twice by the next is, as a tree, twice as large at every step:
// the kernels are cut so that none exceeds maxExpandedExpr nodes counted as a tree.
func TestScheduleBoundsSharing(t *testing.T) {
	x := host(Float32, 4, 8)
	for range 30 {
		x = must(Binary(OpMul, must(Unary(OpExp, x)), must(Unary(OpExp, x))))
	}
	ks, err := Schedule([]*Node{x})
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) < 3 {
		t.Errorf("%d kernels, want the chain cut into several", len(ks))
	}
	shared := 0
	for _, k := range ks {
		if n := expandedSize(k.Expr, map[*Expr]int{}); n > maxExpandedExpr {
			t.Errorf("a kernel of %d nodes as a tree, above %d", n, maxExpandedExpr)
		}
		seen := map[*Expr]int{}
		var walk func(e *Expr)
		walk = func(e *Expr) {
			if seen[e]++; seen[e] == 1 {
				for _, s := range e.Src {
					walk(s)
				}
			}
		}
		walk(k.Expr)
		for _, c := range seen {
			if c > 1 {
				shared++
			}
		}
	}
	if shared == 0 {
		t.Error("no kernel shares a node")
	}
}

func TestScheduleKeyIsStructural(t *testing.T) {
	mk := func() *Kernel {
		a, b := host(Float32, 3, 5), host(Float32, 3, 5)
		ks, err := Schedule([]*Node{must(Binary(OpAdd, a, must(Unary(OpExp, b))))})
		if err != nil {
			t.Fatal(err)
		}
		return ks[0]
	}
	k1, k2 := mk(), mk()
	if k1.Key() != k2.Key() {
		t.Errorf("equal structures, different keys:\n%s\n%s", k1.Key(), k2.Key())
	}
	other, _ := Schedule([]*Node{must(Binary(OpAdd, host(Float32, 3, 5), host(Float32, 3, 5)))})
	if other[0].Key() == k1.Key() {
		t.Errorf("different structures share the key %s", k1.Key())
	}
	// Running sums differing only in their direction or in what they include.
	keys := map[string]bool{}
	for mode := range 4 {
		ks, err := Schedule([]*Node{must(CumSum(host(Float32, 3, 5), 1, mode&1 != 0, mode&2 != 0))})
		if err != nil {
			t.Fatal(err)
		}
		keys[ks[0].Key()] = true
	}
	if len(keys) != 4 {
		t.Errorf("four running sums, %d keys: %v", len(keys), keys)
	}
	// A softmax and a log-softmax of one input.
	sm, err := Schedule([]*Node{must(Softmax(host(Float32, 3, 5), 1, false))})
	if err != nil {
		t.Fatal(err)
	}
	lsm, err := Schedule([]*Node{must(Softmax(host(Float32, 3, 5), 1, true))})
	if err != nil {
		t.Fatal(err)
	}
	if sm[0].Key() == lsm[0].Key() {
		t.Errorf("a softmax and a log-softmax share the key %s", sm[0].Key())
	}
	// Layer norms differing only in their epsilon.
	ln1, err := Schedule([]*Node{must(LayerNorm(host(Float32, 3, 5), 1, 1e-5))})
	if err != nil {
		t.Fatal(err)
	}
	ln2, err := Schedule([]*Node{must(LayerNorm(host(Float32, 3, 5), 1, 1e-6))})
	if err != nil {
		t.Fatal(err)
	}
	if ln1[0].Key() == ln2[0].Key() {
		t.Errorf("layer norms of two epsilons share the key %s", ln1[0].Key())
	}
}

func TestConstructorErrors(t *testing.T) {
	a := host(Float32, 2, 3)
	i := host(Int32, 2, 3)
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"reshape", second(Reshape(a, []int{4})), "cannot reshape [2 3] to [4]"},
		{"binary dtype", second(Binary(OpAdd, a, i)), "dtype mismatch float32 [2 3] and int32 [2 3]"},
		{"binary shape", second(Binary(OpAdd, a, host(Float32, 3, 2))), "shape mismatch [2 3] and [3 2]"},
		{"float op on int", second(Unary(OpExp, i)), "needs a float operand"},
		{"reduce axes", second(Reduce(OpSum, a, []int{2})), "bad axes [2] for shape [2 3]"},
		{"max of empty", second(Reduce(OpReduceMax, host(Float32, 0, 3), []int{0})), "no identity"},
		{"contract", second(Contract(a, a)), "shapes [2 3] and [2 3] do not contract"},
		{"slice", second(Slice(a, []int{0, 2}, []int{1, 2}, []int{1, 1})), "out of range"},
		{"permute", second(Permute(a, []int{0, 0})), "permutation [0 0]"},
		{"host bytes", second(Host(Float32, []int{2}, make([]byte, 4))), "4 bytes for shape [2]"},
		// Shapes beyond MaxElements, whose element counts would overflow (2^64 wraps to 0,
		// 4·(2^62 + 1) to 4), and a step whose product with the count would.
		{"host huge", second(Host(Float32, []int{1 << 32, 1 << 32}, nil)), "more than 2^48 elements"},
		{"reshape huge", second(Reshape(host(Float32, 4), []int{4, 1<<62 + 1})), "more than 2^48 elements"},
		{"expand huge", second(Expand(host(Float32, 1, 1), []int{1 << 30, 1 << 30})), "more than 2^48 elements"},
		{"pad huge", second(Pad(a, [][2]int{{0, 1 << 30}, {0, 1 << 30}})), "more than 2^48 elements"},
		{"pad overflow", second(Pad(a, [][2]int{{0, 0}, {math.MaxInt, math.MaxInt}})), "more than 2^48 elements"},
		{"contract huge", second(Contract(host(Float32, 1<<30, 0), host(Float32, 0, 1<<30))), "more than 2^48 elements"},
		{"gather huge", second(Gather(must(Expand(host(Float32, 1, 1), []int{1 << 20, 1 << 20})), 1,
			must(Expand(host(Int64, 1, 1), []int{1 << 20, 1 << 20})))), "more than 2^48 elements"},
		{"slice step", second(Slice(a, []int{0, 1}, []int{1, 2}, []int{1, math.MaxInt})), "out of range"},
		{"cumsum axis", second(CumSum(a, 2, false, false)), "axis 2 for shape [2 3]"},
		{"cumsum bool", second(CumSum(host(Bool, 2), 0, false, false)), "not defined for bool"},
		{"softmax axis", second(Softmax(a, -1, false)), "axis -1 for shape [2 3]"},
		{"log-softmax integer", second(Softmax(i, 0, true)), "not defined for int32 [2 3]"},
		{"layer norm axis", second(LayerNorm(a, 2, 1e-5)), "axis 2 for shape [2 3]"},
		{"layer norm integer", second(LayerNorm(i, 1, 1e-5)), "not defined for int32 [2 3]"},
		{"argmax axis", second(ArgExtreme(a, 2, false)), "axis 2 for shape [2 3]"},
		{"argmin empty", second(ArgExtreme(host(Float32, 2, 0), 1, true)), "axis 1 of shape [2 0] is empty"},
	} {
		if c.err == nil || !errors.Is(c.err, ErrShape) || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q wrapping ErrShape", c.name, c.err, c.want)
		}
	}
}

func second(_ *Node, err error) error { return err }

// TestNilNodes checks that a nil node (the result of a constructor whose error was not
// checked) given to any constructor, to Schedule or to Verify is an error naming the
// operation, not a panic, and that Topo, Dump and DOT pass over it.
func TestNilNodes(t *testing.T) {
	a := host(Float32, 2, 3)
	cond := must(Binary(OpCmpLT, a, a))
	idx := host(Int32, 2)
	_, schedErr := Schedule([]*Node{a, nil})
	for _, c := range []struct {
		name string
		err  error
	}{
		{"reshape", second(Reshape(nil, []int{6}))},
		{"permute", second(Permute(nil, []int{1, 0}))},
		{"expand", second(Expand(nil, []int{2, 3}))},
		{"slice", second(Slice(nil, []int{0}, []int{1}, []int{1}))},
		{"pad", second(Pad(nil, [][2]int{{0, 1}}))},
		{"flip", second(Flip(nil, []bool{true}))},
		{"exp", second(Unary(OpExp, nil))},
		{"cast", second(Cast(nil, Float64))},
		{"add", second(Binary(OpAdd, a, nil))},
		{"where", second(Where(cond, nil, a))},
		{"muladd", second(MulAdd(a, a, nil))},
		{"sum", second(Reduce(OpSum, nil, []int{0}))},
		{"contract", second(Contract(nil, a))},
		{"gather", second(Gather(a, 0, nil))},
		{"gather", second(Gather(nil, 0, idx))},
		{"cumsum", second(CumSum(nil, 0, false, false))},
		{"softmax", second(Softmax(nil, 0, false))},
		{"layer_norm", second(LayerNorm(nil, 0, 1e-5))},
		{"argmax", second(ArgExtreme(nil, 0, false))},
		{"schedule", schedErr},
		{"verify", Verify([]*Node{nil})},
	} {
		if c.err == nil || !errors.Is(c.err, ErrShape) || !strings.HasPrefix(c.err.Error(), c.name+":") || !strings.Contains(c.err.Error(), "is nil") {
			t.Errorf("%s of a nil node: error %v, want one that names it and wraps ErrShape", c.name, c.err)
		}
	}
	if got := Topo([]*Node{nil, a}); len(got) != 1 || got[0] != a {
		t.Errorf("Topo with a nil root: %v", got)
	}
	if Dump([]*Node{nil}) != "" || !strings.HasPrefix(DOT([]*Node{nil}, nil), "digraph") {
		t.Error("Dump or DOT of a nil root")
	}
}

func TestDumpAndDOT(t *testing.T) {
	a := host(Float32, 2, 3)
	s := must(Reduce(OpSum, must(Unary(OpExp, a)), []int{1}))
	d := Dump([]*Node{s})
	for _, want := range []string{"= host float32[2 3]", "= exp float32[2 3] %", "= sum float32[2 1] %", "{axes=[1]}"} {
		if !strings.Contains(d, want) {
			t.Errorf("Dump lacks %q:\n%s", want, d)
		}
	}
	ks, _ := Schedule([]*Node{s})
	dot := DOT([]*Node{s}, ks)
	if !strings.HasPrefix(dot, "digraph crossbar {") || !strings.Contains(dot, "cluster_k0") || strings.Count(dot, "->") != 2 {
		t.Errorf("DOT output:\n%s", dot)
	}
}

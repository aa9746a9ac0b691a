package backend_tpu

// compileOptions is a serialized xla.CompileOptionsProto (xla/pjrt/proto/compile_options.proto)
// for one replica and one partition; plugins reject an empty one. Hand-encoded, as crossbar
// has no protobuf dependency:
//
//	CompileOptionsProto {
//	  ExecutableBuildOptionsProto executable_build_options = 3;  // length-delimited
//	}
//	ExecutableBuildOptionsProto {
//	  int64 device_ordinal = 1;  // varint; -1 lets the plugin choose (not set here)
//	  int64 num_replicas   = 4;  // varint
//	  int64 num_partitions = 5;  // varint
//	}
func compileOptions(numReplicas, numPartitions int64) []byte {
	var build []byte
	build = appendVarintField(build, 4, uint64(numReplicas))
	build = appendVarintField(build, 5, uint64(numPartitions))
	var out []byte
	out = appendVarint(out, 3<<3|2) // field 3, wire type 2 (length-delimited)
	out = appendVarint(out, uint64(len(build)))
	return append(out, build...)
}

// appendVarintField appends field number f with wire type 0 (varint) and value v.
func appendVarintField(b []byte, f int, v uint64) []byte {
	return appendVarint(appendVarint(b, uint64(f)<<3|0), v)
}

// appendVarint appends v in protobuf's base-128 varint encoding.
func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

package backend_tpu

// compileOptions is a serialized xla.CompileOptionsProto (xla/pjrt/proto/compile_options.proto)
// for one replica and one partition on the device whose PJRT_DeviceDescription_Id is
// deviceID; plugins reject an empty one. Hand-encoded, as crossbar has no protobuf
// dependency:
//
//	CompileOptionsProto {
//	  ExecutableBuildOptionsProto executable_build_options = 3;  // length-delimited
//	}
//	ExecutableBuildOptionsProto {
//	  int64 device_ordinal = 1;                       // varint; -1: the plugin chooses
//	  int64 num_replicas   = 4;                       // varint
//	  int64 num_partitions = 5;                       // varint
//	  DeviceAssignmentProto device_assignment = 9;    // length-delimited
//	}
//	DeviceAssignmentProto {
//	  int32 replica_count = 1;                        // varint
//	  int32 computation_count = 2;                    // varint
//	  repeated ComputationDevice computation_devices = 3;
//	}
//	ComputationDevice {
//	  repeated int64 replica_device_ids = 1;          // packed
//	}
//
// Without a device assignment the plugin assigns its default device (the first), and the
// executable then runs there whichever device launches it.
func compileOptions(deviceID int64) []byte {
	var ids []byte
	ids = appendVarint(ids, uint64(deviceID))
	var comp []byte
	comp = appendBytesField(comp, 1, ids) // replica_device_ids, packed
	var assign []byte
	assign = appendVarintField(assign, 1, 1) // replica_count
	assign = appendVarintField(assign, 2, 1) // computation_count
	assign = appendBytesField(assign, 3, comp)
	var build []byte
	build = appendVarintField(build, 1, ^uint64(0)) // device_ordinal = -1, as int64 varints are
	build = appendVarintField(build, 4, 1)          // num_replicas
	build = appendVarintField(build, 5, 1)          // num_partitions
	build = appendBytesField(build, 9, assign)
	return appendBytesField(nil, 3, build)
}

// appendVarintField appends field number f with wire type 0 (varint) and value v.
func appendVarintField(b []byte, f int, v uint64) []byte {
	return appendVarint(appendVarint(b, uint64(f)<<3|0), v)
}

// appendBytesField appends field number f with wire type 2 (length-delimited) and value v.
func appendBytesField(b []byte, f int, v []byte) []byte {
	b = appendVarint(b, uint64(f)<<3|2)
	b = appendVarint(b, uint64(len(v)))
	return append(b, v...)
}

// appendVarint appends v in protobuf's base-128 varint encoding.
func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

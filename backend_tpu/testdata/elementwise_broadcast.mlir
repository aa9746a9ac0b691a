"builtin.module"() ({
  "func.func"() ({
  ^bb0(%arg0: tensor<6xf32>, %arg1: tensor<12xf32>):
    %0 = "stablehlo.reshape"(%arg0) : (tensor<6xf32>) -> tensor<2x3xf32>
    %1 = "stablehlo.broadcast_in_dim"(%0) {broadcast_dimensions = array<i64: 0, 2>} : (tensor<2x3xf32>) -> tensor<2x4x3xf32>
    %2 = "stablehlo.reshape"(%arg1) : (tensor<12xf32>) -> tensor<4x3xf32>
    %3 = "stablehlo.broadcast_in_dim"(%2) {broadcast_dimensions = array<i64: 1, 2>} : (tensor<4x3xf32>) -> tensor<2x4x3xf32>
    %4 = "stablehlo.add"(%1, %3) : (tensor<2x4x3xf32>, tensor<2x4x3xf32>) -> tensor<2x4x3xf32>
    %5 = "stablehlo.exponential"(%4) : (tensor<2x4x3xf32>) -> tensor<2x4x3xf32>
    %6 = "stablehlo.reshape"(%5) : (tensor<2x4x3xf32>) -> tensor<24xf32>
    "func.return"(%6) : (tensor<24xf32>) -> ()
  }) {function_type = (tensor<6xf32>, tensor<12xf32>) -> tensor<24xf32>, sym_name = "main"} : () -> ()
}) : () -> ()

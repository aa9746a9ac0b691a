"builtin.module"() ({
  "func.func"() ({
  ^bb0(%arg0: tensor<32xf32>, %arg1: tensor<40xf32>, %arg2: tensor<5xf32>):
    %0 = "stablehlo.reshape"(%arg0) : (tensor<32xf32>) -> tensor<4x8xf32>
    %1 = "stablehlo.reshape"(%arg1) : (tensor<40xf32>) -> tensor<8x5xf32>
    %2 = "stablehlo.dot_general"(%0, %1) {dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>} : (tensor<4x8xf32>, tensor<8x5xf32>) -> tensor<4x5xf32>
    %3 = "stablehlo.broadcast_in_dim"(%arg2) {broadcast_dimensions = array<i64: 1>} : (tensor<5xf32>) -> tensor<4x5xf32>
    %4 = "stablehlo.add"(%2, %3) : (tensor<4x5xf32>, tensor<4x5xf32>) -> tensor<4x5xf32>
    %5 = "stablehlo.constant"() {value = dense<0.0e+00> : tensor<f32>} : () -> tensor<f32>
    %6 = "stablehlo.broadcast_in_dim"(%5) {broadcast_dimensions = array<i64>} : (tensor<f32>) -> tensor<4x5xf32>
    %7 = "stablehlo.maximum"(%4, %6) : (tensor<4x5xf32>, tensor<4x5xf32>) -> tensor<4x5xf32>
    %8 = "stablehlo.reshape"(%7) : (tensor<4x5xf32>) -> tensor<20xf32>
    "func.return"(%8) : (tensor<20xf32>) -> ()
  }) {function_type = (tensor<32xf32>, tensor<40xf32>, tensor<5xf32>) -> tensor<20xf32>, sym_name = "main"} : () -> ()
}) : () -> ()

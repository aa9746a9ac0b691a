"builtin.module"() ({
  "func.func"() ({
  ^bb0(%arg0: tensor<24xf64>, %arg1: tensor<48xf64>):
    %0 = "stablehlo.reshape"(%arg0) : (tensor<24xf64>) -> tensor<2x12xf64>
    %1 = "stablehlo.reshape"(%0) : (tensor<2x12xf64>) -> tensor<2x3x4xf64>
    %2 = "stablehlo.reshape"(%arg1) : (tensor<48xf64>) -> tensor<2x24xf64>
    %3 = "stablehlo.reshape"(%2) : (tensor<2x24xf64>) -> tensor<2x4x6xf64>
    %4 = "stablehlo.dot_general"(%1, %3) {dot_dimension_numbers = #stablehlo.dot<lhs_batching_dimensions = [0], rhs_batching_dimensions = [0], lhs_contracting_dimensions = [2], rhs_contracting_dimensions = [1]>} : (tensor<2x3x4xf64>, tensor<2x4x6xf64>) -> tensor<2x3x6xf64>
    %5 = "stablehlo.reshape"(%4) : (tensor<2x3x6xf64>) -> tensor<36xf64>
    "func.return"(%5) : (tensor<36xf64>) -> ()
  }) {function_type = (tensor<24xf64>, tensor<48xf64>) -> tensor<36xf64>, sym_name = "main"} : () -> ()
}) : () -> ()

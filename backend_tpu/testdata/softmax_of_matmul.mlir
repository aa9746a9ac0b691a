"builtin.module"() ({
  "func.func"() ({
  ^bb0(%arg0: tensor<12xf64>, %arg1: tensor<15xf64>, %arg2: tensor<5xf64>):
    %0 = "stablehlo.reshape"(%arg0) : (tensor<12xf64>) -> tensor<4x3xf64>
    %1 = "stablehlo.reshape"(%arg1) : (tensor<15xf64>) -> tensor<3x5xf64>
    %2 = "stablehlo.dot_general"(%0, %1) {dot_dimension_numbers = #stablehlo.dot<lhs_contracting_dimensions = [1], rhs_contracting_dimensions = [0]>} : (tensor<4x3xf64>, tensor<3x5xf64>) -> tensor<4x5xf64>
    %3 = "stablehlo.broadcast_in_dim"(%arg2) {broadcast_dimensions = array<i64: 1>} : (tensor<5xf64>) -> tensor<4x5xf64>
    %4 = "stablehlo.add"(%2, %3) : (tensor<4x5xf64>, tensor<4x5xf64>) -> tensor<4x5xf64>
    %5 = "stablehlo.constant"() {value = dense<0.0e+00> : tensor<f64>} : () -> tensor<f64>
    %6 = "stablehlo.broadcast_in_dim"(%5) {broadcast_dimensions = array<i64>} : (tensor<f64>) -> tensor<4x5xf64>
    %7 = "stablehlo.maximum"(%4, %6) : (tensor<4x5xf64>, tensor<4x5xf64>) -> tensor<4x5xf64>
    %8 = "stablehlo.reshape"(%7) : (tensor<4x5xf64>) -> tensor<20xf64>
    %9 = "stablehlo.reshape"(%8) : (tensor<20xf64>) -> tensor<4x5xf64>
    %10 = "stablehlo.constant"() {value = dense<0xFFF0000000000000> : tensor<f64>} : () -> tensor<f64>
    %11 = "stablehlo.reduce"(%9, %10) ({
    ^bb0(%12: tensor<f64>, %13: tensor<f64>):
      %14 = "stablehlo.maximum"(%12, %13) : (tensor<f64>, tensor<f64>) -> tensor<f64>
      "stablehlo.return"(%14) : (tensor<f64>) -> ()
    }) {dimensions = array<i64: 1>} : (tensor<4x5xf64>, tensor<f64>) -> tensor<4xf64>
    %15 = "stablehlo.reshape"(%11) : (tensor<4xf64>) -> tensor<4x1xf64>
    %16 = "stablehlo.reshape"(%15) : (tensor<4x1xf64>) -> tensor<4xf64>
    %17 = "stablehlo.reshape"(%8) : (tensor<20xf64>) -> tensor<4x5xf64>
    %18 = "stablehlo.broadcast_in_dim"(%16) {broadcast_dimensions = array<i64: 0>} : (tensor<4xf64>) -> tensor<4x5xf64>
    %19 = "stablehlo.subtract"(%17, %18) : (tensor<4x5xf64>, tensor<4x5xf64>) -> tensor<4x5xf64>
    %20 = "stablehlo.exponential"(%19) : (tensor<4x5xf64>) -> tensor<4x5xf64>
    %21 = "stablehlo.reshape"(%20) : (tensor<4x5xf64>) -> tensor<20xf64>
    %22 = "stablehlo.reshape"(%21) : (tensor<20xf64>) -> tensor<4x5xf64>
    %23 = "stablehlo.constant"() {value = dense<0.0e+00> : tensor<f64>} : () -> tensor<f64>
    %24 = "stablehlo.reduce"(%22, %23) ({
    ^bb0(%25: tensor<f64>, %26: tensor<f64>):
      %27 = "stablehlo.add"(%25, %26) : (tensor<f64>, tensor<f64>) -> tensor<f64>
      "stablehlo.return"(%27) : (tensor<f64>) -> ()
    }) {dimensions = array<i64: 1>} : (tensor<4x5xf64>, tensor<f64>) -> tensor<4xf64>
    %28 = "stablehlo.reshape"(%24) : (tensor<4xf64>) -> tensor<4x1xf64>
    %29 = "stablehlo.reshape"(%28) : (tensor<4x1xf64>) -> tensor<4xf64>
    %30 = "stablehlo.reshape"(%21) : (tensor<20xf64>) -> tensor<4x5xf64>
    %31 = "stablehlo.broadcast_in_dim"(%29) {broadcast_dimensions = array<i64: 0>} : (tensor<4xf64>) -> tensor<4x5xf64>
    %32 = "stablehlo.divide"(%30, %31) : (tensor<4x5xf64>, tensor<4x5xf64>) -> tensor<4x5xf64>
    %33 = "stablehlo.reshape"(%32) : (tensor<4x5xf64>) -> tensor<20xf64>
    "func.return"(%33) : (tensor<20xf64>) -> ()
  }) {function_type = (tensor<12xf64>, tensor<15xf64>, tensor<5xf64>) -> tensor<20xf64>, sym_name = "main"} : () -> ()
}) : () -> ()

"builtin.module"() ({
  "func.func"() ({
  ^bb0(%arg0: tensor<42xf32>):
    %0 = "stablehlo.slice"(%arg0) {start_indices = array<i64: 7>, limit_indices = array<i64: 42>, strides = array<i64: 1>} : (tensor<42xf32>) -> tensor<35xf32>
    %1 = "stablehlo.constant"() {value = dense<0.0e+00> : tensor<f32>} : () -> tensor<f32>
    %2 = "stablehlo.pad"(%0, %1) {edge_padding_low = array<i64: 0>, edge_padding_high = array<i64: 7>, interior_padding = array<i64: 0>} : (tensor<35xf32>, tensor<f32>) -> tensor<42xf32>
    %3 = "stablehlo.reshape"(%2) : (tensor<42xf32>) -> tensor<3x14xf32>
    %4 = "stablehlo.slice"(%3) {start_indices = array<i64: 0, 0>, limit_indices = array<i64: 3, 7>, strides = array<i64: 1, 2>} : (tensor<3x14xf32>) -> tensor<3x4xf32>
    %5 = "stablehlo.reverse"(%4) {dimensions = array<i64: 1>} : (tensor<3x4xf32>) -> tensor<3x4xf32>
    %6 = "stablehlo.constant"() {value = dense<0.0e+00> : tensor<f32>} : () -> tensor<f32>
    %7 = "stablehlo.pad"(%5, %6) {edge_padding_low = array<i64: 1, 0>, edge_padding_high = array<i64: 0, 2>, interior_padding = array<i64: 0, 0>} : (tensor<3x4xf32>, tensor<f32>) -> tensor<4x6xf32>
    %8 = "stablehlo.constant"() {value = dense<9.223372036854776e+18> : tensor<f32>} : () -> tensor<f32>
    %9 = "stablehlo.broadcast_in_dim"(%8) {broadcast_dimensions = array<i64>} : (tensor<f32>) -> tensor<4x6xf32>
    %10 = "stablehlo.constant"() {value = dense<-9.223372036854776e+18> : tensor<f32>} : () -> tensor<f32>
    %11 = "stablehlo.broadcast_in_dim"(%10) {broadcast_dimensions = array<i64>} : (tensor<f32>) -> tensor<4x6xf32>
    %12 = "stablehlo.compare"(%7, %9) {comparison_direction = #stablehlo<comparison_direction GE>, compare_type = #stablehlo<comparison_type FLOAT>} : (tensor<4x6xf32>, tensor<4x6xf32>) -> tensor<4x6xi1>
    %13 = "stablehlo.compare"(%7, %11) {comparison_direction = #stablehlo<comparison_direction LE>, compare_type = #stablehlo<comparison_type FLOAT>} : (tensor<4x6xf32>, tensor<4x6xf32>) -> tensor<4x6xi1>
    %14 = "stablehlo.compare"(%7, %7) {comparison_direction = #stablehlo<comparison_direction NE>, compare_type = #stablehlo<comparison_type FLOAT>} : (tensor<4x6xf32>, tensor<4x6xf32>) -> tensor<4x6xi1>
    %15 = "stablehlo.or"(%12, %13) : (tensor<4x6xi1>, tensor<4x6xi1>) -> tensor<4x6xi1>
    %16 = "stablehlo.or"(%15, %14) : (tensor<4x6xi1>, tensor<4x6xi1>) -> tensor<4x6xi1>
    %17 = "stablehlo.constant"() {value = dense<0.0e+00> : tensor<f32>} : () -> tensor<f32>
    %18 = "stablehlo.broadcast_in_dim"(%17) {broadcast_dimensions = array<i64>} : (tensor<f32>) -> tensor<4x6xf32>
    %19 = "stablehlo.select"(%16, %18, %7) : (tensor<4x6xi1>, tensor<4x6xf32>, tensor<4x6xf32>) -> tensor<4x6xf32>
    %20 = "stablehlo.convert"(%19) : (tensor<4x6xf32>) -> tensor<4x6xi64>
    %21 = "stablehlo.constant"() {value = dense<9223372036854775807> : tensor<i64>} : () -> tensor<i64>
    %22 = "stablehlo.broadcast_in_dim"(%21) {broadcast_dimensions = array<i64>} : (tensor<i64>) -> tensor<4x6xi64>
    %23 = "stablehlo.select"(%12, %22, %20) : (tensor<4x6xi1>, tensor<4x6xi64>, tensor<4x6xi64>) -> tensor<4x6xi64>
    %24 = "stablehlo.constant"() {value = dense<-9223372036854775808> : tensor<i64>} : () -> tensor<i64>
    %25 = "stablehlo.broadcast_in_dim"(%24) {broadcast_dimensions = array<i64>} : (tensor<i64>) -> tensor<4x6xi64>
    %26 = "stablehlo.select"(%13, %25, %23) : (tensor<4x6xi1>, tensor<4x6xi64>, tensor<4x6xi64>) -> tensor<4x6xi64>
    %27 = "stablehlo.convert"(%26) : (tensor<4x6xi64>) -> tensor<4x6xi32>
    %28 = "stablehlo.reshape"(%27) : (tensor<4x6xi32>) -> tensor<24xi32>
    "func.return"(%28) : (tensor<24xi32>) -> ()
  }) {function_type = (tensor<42xf32>) -> tensor<24xi32>, sym_name = "main"} : () -> ()
}) : () -> ()

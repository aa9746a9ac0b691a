"builtin.module"() ({
  "func.func"() ({
  ^bb0(%arg0: tensor<15xf32>, %arg1: tensor<4xi32>):
    %0 = "stablehlo.reshape"(%arg0) : (tensor<15xf32>) -> tensor<5x3xf32>
    %1 = "stablehlo.reshape"(%arg1) : (tensor<4xi32>) -> tensor<2x2xi32>
    %2 = "stablehlo.constant"() {value = dense<0> : tensor<i32>} : () -> tensor<i32>
    %3 = "stablehlo.broadcast_in_dim"(%2) {broadcast_dimensions = array<i64>} : (tensor<i32>) -> tensor<2x2xi32>
    %4 = "stablehlo.compare"(%1, %3) {comparison_direction = #stablehlo<comparison_direction LT>, compare_type = #stablehlo<comparison_type SIGNED>} : (tensor<2x2xi32>, tensor<2x2xi32>) -> tensor<2x2xi1>
    %5 = "stablehlo.constant"() {value = dense<5> : tensor<i32>} : () -> tensor<i32>
    %6 = "stablehlo.broadcast_in_dim"(%5) {broadcast_dimensions = array<i64>} : (tensor<i32>) -> tensor<2x2xi32>
    %7 = "stablehlo.add"(%1, %6) : (tensor<2x2xi32>, tensor<2x2xi32>) -> tensor<2x2xi32>
    %8 = "stablehlo.select"(%4, %7, %1) : (tensor<2x2xi1>, tensor<2x2xi32>, tensor<2x2xi32>) -> tensor<2x2xi32>
    %9 = "stablehlo.reshape"(%8) : (tensor<2x2xi32>) -> tensor<2x2x1xi32>
    %10 = "stablehlo.gather"(%0, %9) {dimension_numbers = #stablehlo.gather<offset_dims = [2], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 2>, slice_sizes = array<i64: 1, 3>, indices_are_sorted = false} : (tensor<5x3xf32>, tensor<2x2x1xi32>) -> tensor<2x2x3xf32>
    %11 = "stablehlo.reshape"(%10) : (tensor<2x2x3xf32>) -> tensor<12xf32>
    "func.return"(%11) : (tensor<12xf32>) -> ()
  }) {function_type = (tensor<15xf32>, tensor<4xi32>) -> tensor<12xf32>, sym_name = "main"} : () -> ()
}) : () -> ()

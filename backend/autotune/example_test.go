package autotune_test

import (
	"context"
	"fmt"
	"time"

	"github.com/crossbar-compute/crossbar/backend/autotune"
)

// A kernel family with two tile knobs, tuned with a stand-in Measure whose time is least at
// a 128×32 tile; a real one would compile the kernel and time it on the device.
func ExampleTuner_Tune() {
	space := autotune.Space{
		Knobs: []autotune.Knob{
			{Name: "BlockM", Values: []int{16, 32, 64, 128, 256}},
			{Name: "BlockN", Values: []int{16, 32, 64, 128, 256}},
		},
		// Two float32 tiles of depth 16 must fit in 16 KiB of shared memory.
		Valid: func(c autotune.Config) bool { return (c["BlockM"]+c["BlockN"])*16*4 <= 16<<10 },
		Prior: autotune.Config{"BlockM": 64, "BlockN": 64},
	}
	measure := func(ctx context.Context, c autotune.Config) (time.Duration, error) {
		dm, dn := c["BlockM"]-128, c["BlockN"]-32
		return time.Millisecond + time.Duration(dm*dm+dn*dn)*time.Microsecond, nil
	}
	shape, _ := autotune.Bucket([]int{1000, 1000, 1000})
	key := autotune.Key{
		Kernel: "matmul.tiled.v1",
		Shape:  shape,
		DType:  "f32",
		Device: autotune.Fingerprint{Model: "example GPU", Driver: "1.0"},
	}
	tuner := &autotune.Tuner{Mode: autotune.ModeOn, Cache: autotune.NewMemoryCache()}

	res, err := tuner.Tune(context.Background(), key, space, measure)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %s from the %s, %.2fx the prior %s\n", key, res.Best, res.Source, res.Gain, res.Prior)

	res, _ = tuner.Tune(context.Background(), key, space, measure)
	fmt.Printf("again: %s from the %s\n", res.Best, res.Source)
	// Output:
	// matmul.tiled.v1[1024x1024x1024] f32 on "example GPU": BlockM=128,BlockN=32 from the search, 6.12x the prior BlockM=64,BlockN=64
	// again: BlockM=128,BlockN=32 from the cache
}

func ExampleBucket() {
	b, _ := autotune.Bucket([]int{1, 35, 1760, 3072})
	fmt.Println(b)
	// Output: [1 40 1792 3072]
}

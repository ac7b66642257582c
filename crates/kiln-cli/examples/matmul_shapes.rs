//! The five large matrix products of one training step of the benchmark MLP (64 → 256 → 256 → 1,
//! batch 1024), timed alone on the flex CPU backend: how much of `kiln bench` is the matrix
//! kernel itself. `bench/matmul_torch.py` times the same products in PyTorch.
//!
//! `cargo run --release --example matmul_shapes`

use std::time::Instant;

use burn::prelude::*;
use burn::tensor::Distribution;

/// The same allocator as `kiln`: with glibc's, every product pays page faults for its output.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let device = Device::flex();
    let random = |rows, cols| Tensor::<2>::random([rows, cols], Distribution::Default, &device);
    let (x, w1, w2) = (random(1024, 64), random(64, 256), random(256, 256));
    let (a1, dz) = (random(1024, 256), random(1024, 256));
    let products: [(&str, &dyn Fn() -> Tensor<2>); 5] = [
        ("forward  x·W1      1024×64·64×256", &|| {
            x.clone().matmul(w1.clone())
        }),
        ("forward  a1·W2     1024×256·256×256", &|| {
            a1.clone().matmul(w2.clone())
        }),
        ("backward a1ᵀ·dz    256×1024·1024×256", &|| {
            a1.clone().transpose().matmul(dz.clone())
        }),
        ("backward dz·W2ᵀ    1024×256·256×256", &|| {
            dz.clone().matmul(w2.clone().transpose())
        }),
        ("backward xᵀ·dz     64×1024·1024×256", &|| {
            x.clone().transpose().matmul(dz.clone())
        }),
    ];
    let mut total = 0.0;
    for (name, product) in products {
        for _ in 0..20 {
            let _ = product();
        }
        let started = Instant::now();
        for _ in 0..300 {
            let _ = product();
        }
        let ms = started.elapsed().as_secs_f64() / 300.0 * 1e3;
        total += ms;
        println!("{name}: {ms:.3} ms");
    }
    println!("all five: {total:.3} ms per step");
}

//! `kiln devices`: what this binary can compute on, and when a GPU is missing, why.

use std::fmt::Write as _;

/// The report `kiln devices` prints.
pub fn report() -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "backends compiled in: {}",
        crate::device::compiled().join(", ")
    );
    let _ = writeln!(
        out,
        "  cpu      Burn flex backend, {} threads",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    if cfg!(feature = "ndarray") {
        let _ = writeln!(
            out,
            "  ndarray  Burn's older CPU backend (deprecated upstream; for comparison)"
        );
    }
    wgpu_report(&mut out);
    out
}

#[cfg(not(feature = "wgpu"))]
fn wgpu_report(out: &mut String) {
    let _ = writeln!(
        out,
        "  wgpu     not compiled in: rebuild with `cargo build --release --features wgpu` for GPUs"
    );
}

#[cfg(feature = "wgpu")]
fn wgpu_report(out: &mut String) {
    use burn::tensor::wgpu::wgpu;
    let adapters = crate::device::vulkan_adapters();
    let _ = writeln!(out, "  wgpu     Vulkan adapters: {}", adapters.len());
    for (n, adapter) in adapters.iter().enumerate() {
        let info = adapter.get_info();
        let index = format!("wgpu:{n}");
        let software = if info.device_type == wgpu::DeviceType::Cpu {
            format!(" — {}; `auto` skips it", crate::device::SOFTWARE_ADAPTER)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "    {index:<8} {} ({:?}; driver {} {}; max buffer {} MiB){software}",
            info.name,
            info.device_type,
            info.driver,
            info.driver_info,
            adapter.limits().max_buffer_size >> 20
        );
    }
    if adapters.is_empty() {
        for line in diagnose() {
            let _ = writeln!(out, "    {line}");
        }
    }
}

/// Why no Vulkan adapter was found: the loader, the drivers (ICDs), the NVIDIA kernel driver.
#[cfg(feature = "wgpu")]
fn diagnose() -> Vec<String> {
    let mut lines = vec!["no Vulkan adapter found; checks:".to_string()];
    let lib_dirs = [
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/usr/lib64",
        "/usr/lib",
        "/usr/local/lib",
    ];
    let loader = lib_dirs
        .iter()
        .map(|d| std::path::Path::new(d).join("libvulkan.so.1"))
        .find(|p| p.exists());
    lines.push(match loader {
        Some(p) => format!("Vulkan loader: {}", p.display()),
        None => "Vulkan loader: MISSING (libvulkan.so.1); install it: `apt-get install libvulkan1`"
            .into(),
    });
    let icd_dirs = [
        "/usr/share/vulkan/icd.d",
        "/etc/vulkan/icd.d",
        "/usr/local/share/vulkan/icd.d",
    ];
    let mut icds: Vec<String> = icd_dirs
        .iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path().display().to_string()))
        .collect();
    // Either variable replaces the directories: the loader reads only the files it names.
    for var in ["VK_DRIVER_FILES", "VK_ICD_FILENAMES"] {
        let Ok(value) = std::env::var(var) else {
            continue;
        };
        let missing: Vec<&str> = value
            .split(':')
            .filter(|f| !f.is_empty() && !std::path::Path::new(f).exists())
            .collect();
        if missing.is_empty() {
            icds.push(format!("{var}={value}"));
        } else {
            lines.push(format!(
                "{var}={value}: MISSING {}; the Vulkan loader reads only the files this variable \
                 names (not the drivers in {}): fix the path or unset it",
                missing.join(", "),
                icd_dirs.join(", ")
            ));
        }
    }
    lines.push(if icds.is_empty() {
        "Vulkan drivers (ICDs): NONE; for a GPU install its vendor's driver, or for a software \
         device `apt-get install mesa-vulkan-drivers`"
            .into()
    } else {
        format!("Vulkan drivers (ICDs): {}", icds.join(", "))
    });
    lines.push(
        match std::fs::read_to_string("/proc/driver/nvidia/version") {
            Ok(v) => format!(
                "NVIDIA kernel driver: {}",
                v.lines().next().unwrap_or("").trim()
            ),
            Err(_) => "NVIDIA kernel driver: not loaded (no /proc/driver/nvidia/version)".into(),
        },
    );
    lines
}

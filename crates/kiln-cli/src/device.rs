//! `--device` names → Burn devices. Asking for a device that is not compiled in or not present
//! is an error that says what is available; kiln never falls back to the CPU silently.

use anyhow::{Result, bail};
use burn::prelude::*;
#[cfg(feature = "wgpu")]
use burn::tensor::wgpu::WgpuInitError;

/// The backends compiled into this binary, for messages and `kiln devices`.
pub fn compiled() -> Vec<&'static str> {
    let mut names = vec!["cpu"];
    if cfg!(feature = "ndarray") {
        names.push("ndarray");
    }
    if cfg!(feature = "wgpu") {
        names.push("wgpu");
    }
    names
}

/// A device ready to use, with a one-line description of what it is.
pub struct Chosen {
    /// The Burn device.
    pub device: Device,
    /// What was chosen, for the log (`cpu (flex)`, `wgpu: NVIDIA H200 …`).
    pub description: String,
}

/// The environment variable that names a device when `--device` does not.
const DEVICE_VARIABLE: &str = "KILN_DEVICE";

/// A device asked for on the command line, and where the name came from.
pub struct Asked {
    /// The device's name, as [`open`] takes it.
    pub name: String,
    /// Whether it came from [`DEVICE_VARIABLE`] rather than `--device`.
    from_environment: bool,
}

/// The device asked for: `--device`, else `KILN_DEVICE` when it is set and not blank (an empty
/// variable is no request, as for most tools), else `None`.
pub fn asked(flag: Option<String>) -> Option<Asked> {
    match flag {
        Some(name) => Some(Asked {
            name,
            from_environment: false,
        }),
        None => std::env::var(DEVICE_VARIABLE)
            .ok()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .map(|name| Asked {
                name,
                from_environment: true,
            }),
    }
}

/// Opens the device `asked` for, else `fallback`; an error over a name from the environment says
/// so, since the command line shows none.
pub fn open_asked(asked: Option<&Asked>, fallback: &str) -> Result<Chosen> {
    match asked {
        Some(asked) => open(&asked.name).map_err(|e| match asked.from_environment {
            true => anyhow::anyhow!("{e} (the device came from {DEVICE_VARIABLE})"),
            false => e,
        }),
        None => open(fallback),
    }
}

/// The device for `predict` and `eval` (default `cpu`): their output is the rows or metrics, so
/// what `auto` chose goes to stderr.
pub fn open_for_rows(flag: Option<String>) -> Result<Chosen> {
    let asked = asked(flag);
    let chosen = open_asked(asked.as_ref(), "cpu")?;
    if asked.is_some_and(|a| a.name == "auto") {
        eprintln!("device: {}", chosen.description);
    }
    Ok(chosen)
}

/// Opens the device named `name`: `cpu`, `ndarray`, `wgpu`, `wgpu:N` or `auto`.
pub fn open(name: &str) -> Result<Chosen> {
    let (backend, index) = match name.split_once(':') {
        Some((b, i)) => {
            let index: usize = i.parse().map_err(|_| {
                anyhow::anyhow!("device `{name}`: `{i}` is not an adapter number (try `wgpu:0`)")
            })?;
            (b, Some(index))
        }
        None => (name, None),
    };
    match backend {
        "cpu" | "flex" if index.is_none() => Ok(Chosen {
            device: Device::flex(),
            description: "cpu (Burn flex backend)".into(),
        }),
        "ndarray" if index.is_none() => open_ndarray(),
        "wgpu" | "gpu" => open_wgpu(index),
        "auto" if index.is_none() => open_auto(),
        "cuda" => bail!(
            "device `cuda` is not available: Burn's CUDA backend cannot be built here (its build \
             downloads a prebuilt LLVM). On NVIDIA cards use `--device wgpu`, which runs through \
             the Vulkan driver{}",
            if cfg!(feature = "wgpu") {
                ""
            } else {
                " (build kiln with `--features wgpu`)"
            }
        ),
        _ => bail!(
            "unknown device `{name}`; this kiln has: {} (plus `auto`){}",
            compiled().join(", "),
            kiln_data::did_you_mean(backend, ["cpu", "ndarray", "wgpu", "auto", "cuda"])
        ),
    }
}

#[cfg(feature = "ndarray")]
fn open_ndarray() -> Result<Chosen> {
    #[allow(deprecated)]
    let device = Device::ndarray();
    Ok(Chosen {
        device,
        description: "ndarray (Burn's older CPU backend, deprecated upstream)".into(),
    })
}

#[cfg(not(feature = "ndarray"))]
fn open_ndarray() -> Result<Chosen> {
    bail!(
        "device `ndarray` is not compiled into this kiln; rebuild with `--features ndarray`, or use `cpu`"
    )
}

/// How kiln describes a software Vulkan adapter, in the device line and in `kiln devices`.
#[cfg(feature = "wgpu")]
pub const SOFTWARE_ADAPTER: &str = "software: runs on the CPU, slower than `--device cpu`";

/// `auto`: the first discrete GPU, else the first integrated one, else the first virtual one
/// (a cloud vGPU), else the CPU backend, saying which and why. A software Vulkan driver (Mesa's
/// lavapipe, which `wgpu` alone does open) is not a GPU: it runs the kernels on the CPU, many
/// times slower than flex.
fn open_auto() -> Result<Chosen> {
    #[cfg(feature = "wgpu")]
    let why = {
        let kinds = [
            DeviceKind::DiscreteGpu(0),
            DeviceKind::IntegratedGpu(0),
            DeviceKind::VirtualGpu(0),
        ];
        // A GPU that is there but fails to open says so, in wgpu's words; an absent kind is
        // no failure.
        let mut failure = None;
        for kind in kinds {
            match open_wgpu_kind(kind) {
                Ok(mut chosen) => {
                    chosen.description = format!("auto → {}", chosen.description);
                    return Ok(chosen);
                }
                Err(WgpuInitError::AdapterUnavailable { .. }) => {}
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        match failure {
            Some(e) => format!("no discrete, integrated or virtual GPU opened: {e}"),
            None => "no discrete, integrated or virtual GPU; `kiln devices` says what this \
                     machine has"
                .to_string(),
        }
    };
    #[cfg(not(feature = "wgpu"))]
    let why = "this kiln has no GPU backend; build it with `--features wgpu`";
    let mut chosen = open("cpu")?;
    chosen.description = format!("auto → {} ({why})", chosen.description);
    Ok(chosen)
}

/// The Vulkan adapters wgpu sees, in its order: `wgpu:N` is the N-th, as `kiln devices` lists
/// them.
#[cfg(feature = "wgpu")]
pub fn vulkan_adapters() -> Vec<burn::tensor::wgpu::wgpu::Adapter> {
    use burn::tensor::wgpu::wgpu;
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
        backends: wgpu::Backends::VULKAN,
        ..wgpu::InstanceDescriptor::new_without_display_handle()
    });
    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::VULKAN))
}

/// How Burn addresses the `n`-th of the adapters of `types` (wgpu's order): by its type and its
/// rank among the adapters of that type (Burn counts each type from zero, in the same order).
/// `None` for a type Burn has no name for.
#[cfg(feature = "wgpu")]
fn adapter_kind(types: &[burn::tensor::wgpu::wgpu::DeviceType], n: usize) -> Option<DeviceKind> {
    use burn::tensor::wgpu::wgpu::DeviceType;
    let ty = *types.get(n)?;
    let rank = types[..n].iter().filter(|t| **t == ty).count();
    match ty {
        DeviceType::DiscreteGpu => Some(DeviceKind::DiscreteGpu(rank)),
        DeviceType::IntegratedGpu => Some(DeviceKind::IntegratedGpu(rank)),
        DeviceType::VirtualGpu => Some(DeviceKind::VirtualGpu(rank)),
        DeviceType::Cpu if rank == 0 => Some(DeviceKind::Cpu),
        DeviceType::Cpu | DeviceType::Other => None,
    }
}

#[cfg(feature = "wgpu")]
fn open_wgpu(index: Option<usize>) -> Result<Chosen> {
    let kind = match index {
        None => DeviceKind::DefaultDevice,
        Some(i) => {
            let types: Vec<_> = vulkan_adapters()
                .iter()
                .map(|a| a.get_info().device_type)
                .collect();
            match adapter_kind(&types, i) {
                Some(kind) => kind,
                None if i >= types.len() => bail!(
                    "device `wgpu:{i}` is not available: this machine has {} Vulkan adapter{}{}. \
                     Run `kiln devices` to see them and what is missing",
                    types.len(),
                    if types.len() == 1 { "" } else { "s" },
                    match types.len() {
                        0 => String::new(),
                        1 => " (wgpu:0)".to_string(),
                        n => format!(" (wgpu:0 to wgpu:{})", n - 1),
                    }
                ),
                None => bail!(
                    "device `wgpu:{i}` is a {:?} adapter, which Burn cannot address by number; \
                     use `--device wgpu` for the default adapter",
                    types[i]
                ),
            }
        }
    };
    open_wgpu_kind(kind).map_err(|e| {
        anyhow::anyhow!(
            "device `wgpu{}` is not available: {e}. Run `kiln devices` to see what this \
             machine has and what is missing",
            index.map(|i| format!(":{i}")).unwrap_or_default()
        )
    })
}

/// The Vulkan adapter of `kind`, through wgpu.
#[cfg(feature = "wgpu")]
fn open_wgpu_kind(kind: DeviceKind) -> Result<Chosen, WgpuInitError> {
    // Pin Vulkan: wgpu's automatic choice falls back to OpenGL, where training deadlocks.
    let device = Device::wgpu_options()
        .device_kind(kind)
        .graphics_api(burn::tensor::wgpu::WgpuBackend::Vulkan)
        .init()?;
    let identity = device.identity();
    let name = identity
        .as_ref()
        .map_or_else(|| "unknown adapter".to_string(), |id| id.name.clone());
    // A device with no card behind it is a software rasterizer (Mesa's lavapipe).
    let software = if identity.is_some_and(|id| id.physical.is_none()) {
        format!(" ({SOFTWARE_ADAPTER})")
    } else {
        String::new()
    };
    Ok(Chosen {
        device,
        description: format!("wgpu ({}): {name}{software}", kernel_language()),
    })
}

/// How this build hands kernels to Vulkan.
#[cfg(feature = "wgpu")]
fn kernel_language() -> &'static str {
    if cfg!(feature = "vulkan") {
        "Vulkan, SPIR-V kernels"
    } else {
        "Vulkan"
    }
}

#[cfg(not(feature = "wgpu"))]
fn open_wgpu(_index: Option<usize>) -> Result<Chosen> {
    bail!(
        "device `wgpu` is not compiled into this kiln; rebuild with `cargo build --release --features wgpu`"
    )
}

#[cfg(all(test, feature = "wgpu"))]
mod tests {
    use super::*;
    use burn::tensor::wgpu::wgpu::DeviceType;

    #[test]
    fn wgpu_n_is_the_nth_adapter_addressed_by_its_type_and_rank() {
        let types = [
            DeviceType::Cpu,
            DeviceType::DiscreteGpu,
            DeviceType::IntegratedGpu,
            DeviceType::DiscreteGpu,
            DeviceType::Other,
        ];
        let kinds: Vec<_> = (0..6).map(|n| adapter_kind(&types, n)).collect();
        assert_eq!(
            kinds,
            [
                Some(DeviceKind::Cpu),
                Some(DeviceKind::DiscreteGpu(0)),
                Some(DeviceKind::IntegratedGpu(0)),
                Some(DeviceKind::DiscreteGpu(1)),
                None,
                None,
            ]
        );
    }
}

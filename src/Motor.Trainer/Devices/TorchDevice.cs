using TorchSharp;

namespace Motor.Trainer.Devices;

/// <summary>The torch device a command runs on, resolved once from <c>--device auto|cpu|cuda</c>.</summary>
public sealed class TorchDevice
{
    public const string Auto = "auto";
    public const string Cpu = "cpu";
    public const string Cuda = "cuda";

    /// <summary>Environment variable that overrides the number of CPU threads torch uses.</summary>
    public const string ThreadsVariable = "MOTOR_TORCH_THREADS";

    private static readonly object s_gate = new();
    private static bool s_threadsConfigured;
    private static bool s_fallbackLogged;

    private TorchDevice(torch.Device device)
    {
        Device = device;
    }

    public torch.Device Device { get; }

    public bool IsCuda => Device.type == DeviceType.CUDA;

    /// <summary>"cpu" or "cuda".</summary>
    public string Name => IsCuda ? Cuda : Cpu;

    public static TorchDevice CpuDevice => new(torch.CPU);

    /// <summary>True when <paramref name="choice"/> is one of auto, cpu, cuda (case-insensitive).</summary>
    public static bool IsValidChoice(string? choice)
        => choice is not null && (IsChoice(choice, Auto) || IsChoice(choice, Cpu) || IsChoice(choice, Cuda));

    /// <summary>
    /// Resolves <paramref name="choice"/>: cuda requires a CUDA backend (else an error that says how to get one); auto takes
    /// CUDA when available, otherwise CPU with one log line per process. Also configures torch's CPU threads once.
    /// </summary>
    public static TorchDevice Resolve(string? choice, Action<string>? log = null)
    {
        string normalized = (choice ?? Auto).Trim().ToLowerInvariant();
        ConfigureThreads();
        switch (normalized)
        {
            case Cpu:
                return CpuDevice;
            case Cuda:
                if (!torch.cuda.is_available())
                {
                    throw new InvalidOperationException(
                        "--device cuda: CUDA requested but TorchSharp has no CUDA backend (build with -p:MotorGpu=true on a machine with CUDA)");
                }

                return new TorchDevice(torch.CUDA);
            case Auto:
                if (torch.cuda.is_available())
                {
                    return new TorchDevice(torch.CUDA);
                }

                lock (s_gate)
                {
                    if (!s_fallbackLogged)
                    {
                        s_fallbackLogged = true;
                        log?.Invoke("no CUDA backend, using CPU");
                    }
                }

                return CpuDevice;
            default:
                throw new ArgumentException($"--device: expected auto, cpu or cuda, got '{choice}'");
        }
    }

    /// <summary>Seeds torch (CPU and CUDA) and returns a <see cref="Random"/> with the same seed for C#-side sampling.</summary>
    public static Random Seed(int seed)
    {
        torch.manual_seed(seed);
        if (torch.cuda.is_available())
        {
            torch.cuda.manual_seed_all(seed);
        }

        return new Random(seed);
    }

    /// <summary>A generator on this device, for reproducible sampling that does not depend on global torch state.</summary>
    public torch.Generator CreateGenerator(int seed) => new((ulong)seed, Device);

    /// <summary>
    /// Torch defaults to one thread per core; on shared machines <see cref="ThreadsVariable"/> caps it. Interop threads
    /// stay at torch's default because the trainer runs a single graph at a time.
    /// </summary>
    public static void ConfigureThreads()
    {
        lock (s_gate)
        {
            if (s_threadsConfigured)
            {
                return;
            }

            s_threadsConfigured = true;
            string? configured = Environment.GetEnvironmentVariable(ThreadsVariable);
            int threads = int.TryParse(configured, out int parsed) && parsed > 0 ? parsed : Environment.ProcessorCount;
            torch.set_num_threads(threads);
        }
    }

    public override string ToString() => Name;

    private static bool IsChoice(string value, string choice) => string.Equals(value.Trim(), choice, StringComparison.OrdinalIgnoreCase);
}

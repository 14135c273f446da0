using System.Runtime.InteropServices;

namespace Motor.Benchmarks;

/// <summary>
/// CPU time consumed by the calling thread (Linux CLOCK_THREAD_CPUTIME_ID): on a machine shared with other busy
/// processes it tells what a query costs when it is not preempted, which wall-clock percentiles cannot.
/// </summary>
internal static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    public static bool IsAvailable { get; } = OperatingSystem.IsLinux() && TryNow(out _);

    /// <summary>Microseconds of CPU time of this thread, or NaN where unavailable.</summary>
    public static double NowMicroseconds() => IsAvailable && TryNow(out double value) ? value : double.NaN;

    private static bool TryNow(out double microseconds)
    {
        try
        {
            if (ClockGetTime(ClockThreadCpuTimeId, out TimeSpec time) == 0)
            {
                microseconds = (time.Seconds * 1e6) + (time.Nanoseconds / 1e3);
                return true;
            }
        }
        catch (DllNotFoundException)
        {
        }
        catch (EntryPointNotFoundException)
        {
        }

        microseconds = double.NaN;
        return false;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}

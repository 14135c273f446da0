using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Motor.Trainer.Native;

/// <summary>
/// Makes TorchSharp's native glue loadable on Debian 12.
/// </summary>
/// <remarks>
/// <c>libLibTorchSharp.so</c> was linked by GCC 13 and declares a need for <c>GLIBCXX_3.4.32</c>, whose only
/// symbol (<c>std::ios_base_library_init</c>) is a marker nothing calls. Debian 12's libstdc++ stops at 3.4.30,
/// so the loader refuses the library and the first torch call throws. Marking that version need as weak
/// (VER_FLG_WEAK in <c>.gnu.version_r</c>) makes the loader treat it as optional. Only the application's own
/// copy is patched (never the NuGet cache), through a temporary file and a rename so that concurrent processes
/// never see a half-written library.
/// </remarks>
public static class TorchNativeFix
{
    public const string LibraryName = "libLibTorchSharp.so";
    public const string MissingVersion = "GLIBCXX_3.4.32";

    private const uint SectionTypeVersionNeed = 0x6ffffffe;
    private const ushort VersionFlagWeak = 0x2;
    private static readonly object s_gate = new();
    private static bool s_done;

    /// <summary>Runs before any code of this assembly, so the trainer patches before its first torch call.</summary>
    [ModuleInitializer]
    internal static void Initialize() => EnsureApplied();

    /// <summary>Patches every copy of the glue library next to the application, once per process.</summary>
    public static void EnsureApplied()
    {
        lock (s_gate)
        {
            if (s_done)
            {
                return;
            }

            s_done = true;
            if (!OperatingSystem.IsLinux() || SystemLibStdCxxHasVersion())
            {
                return;
            }

            foreach (string path in CandidatePaths(AppContext.BaseDirectory))
            {
                if (File.Exists(path))
                {
                    PatchFile(path);
                }
            }
        }
    }

    /// <summary>The places TorchSharp loads its glue from: the runtimes folder of a build, or next to the dll after publish.</summary>
    public static IEnumerable<string> CandidatePaths(string baseDirectory)
    {
        yield return Path.Combine(baseDirectory, "runtimes", "linux-x64", "native", LibraryName);
        yield return Path.Combine(baseDirectory, LibraryName);
    }

    /// <summary>Marks the <see cref="MissingVersion"/> need weak in the file; returns true when the file was changed.</summary>
    public static bool PatchFile(string path)
    {
        byte[] image = File.ReadAllBytes(path);
        if (!MarkVersionNeedWeak(image, MissingVersion))
        {
            return false;
        }

        string temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temporary, image);
        File.Move(temporary, path, overwrite: true);
        return true;
    }

    /// <summary>
    /// Sets VER_FLG_WEAK on the named entry of the ELF64 <c>.gnu.version_r</c> section in <paramref name="image"/>.
    /// Returns false when the entry is absent or already weak.
    /// </summary>
    public static bool MarkVersionNeedWeak(byte[] image, string versionName)
    {
        ReadOnlySpan<byte> elf = image;
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
        {
            throw new InvalidDataException("not an ELF file");
        }

        if (elf[4] != 2 || elf[5] != 1)
        {
            throw new InvalidDataException("only little-endian ELF64 is supported");
        }

        long sectionHeaderOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(elf[0x28..]);
        int sectionHeaderSize = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x3A..]);
        int sectionCount = BinaryPrimitives.ReadUInt16LittleEndian(elf[0x3C..]);
        byte[] wanted = Encoding.ASCII.GetBytes(versionName);
        bool changed = false;

        for (int section = 0; section < sectionCount; section++)
        {
            ReadOnlySpan<byte> header = elf.Slice((int)(sectionHeaderOffset + (long)section * sectionHeaderSize), sectionHeaderSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != SectionTypeVersionNeed)
            {
                continue;
            }

            long offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(header[0x18..]);
            int stringSection = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[0x28..]);
            int needCount = (int)BinaryPrimitives.ReadUInt32LittleEndian(header[0x2C..]);
            ReadOnlySpan<byte> stringHeader = elf.Slice((int)(sectionHeaderOffset + (long)stringSection * sectionHeaderSize), sectionHeaderSize);
            long stringsOffset = (long)BinaryPrimitives.ReadUInt64LittleEndian(stringHeader[0x18..]);

            long need = offset;
            for (int n = 0; n < needCount; n++)
            {
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(elf[(int)(need + 2)..]);
                long aux = need + BinaryPrimitives.ReadUInt32LittleEndian(elf[(int)(need + 8)..]);
                for (int a = 0; a < auxCount; a++)
                {
                    long nameOffset = stringsOffset + BinaryPrimitives.ReadUInt32LittleEndian(elf[(int)(aux + 8)..]);
                    ReadOnlySpan<byte> name = elf[(int)nameOffset..];
                    name = name[..name.IndexOf((byte)0)];
                    if (name.SequenceEqual(wanted))
                    {
                        ushort flags = BinaryPrimitives.ReadUInt16LittleEndian(elf[(int)(aux + 4)..]);
                        if ((flags & VersionFlagWeak) == 0)
                        {
                            BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan((int)(aux + 4)), (ushort)(flags | VersionFlagWeak));
                            changed = true;
                        }
                    }

                    aux += BinaryPrimitives.ReadUInt32LittleEndian(elf[(int)(aux + 12)..]);
                }

                need += BinaryPrimitives.ReadUInt32LittleEndian(elf[(int)(need + 12)..]);
            }
        }

        return changed;
    }

    /// <summary>True when the system's libstdc++ already provides the version (newer distributions): nothing to do.</summary>
    private static bool SystemLibStdCxxHasVersion()
    {
        string[] candidates = ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6"];
        byte[] wanted = Encoding.ASCII.GetBytes(MissingVersion + "\0");
        foreach (string candidate in candidates)
        {
            if (File.Exists(candidate))
            {
                return File.ReadAllBytes(candidate).AsSpan().IndexOf(wanted) >= 0;
            }
        }

        return false;
    }
}

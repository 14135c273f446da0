using System.Runtime.InteropServices;

namespace Motor.Core.Bundles;

/// <summary>
/// Rollout by pointer: bundles are written to folders of their own (models/tiktok-v2) and a symbolic link
/// (models/current) names the one to serve. <see cref="Point"/> switches the link with one rename, so a reader that
/// resolves it sees the old bundle or the new one, never a folder being written; the service loads from the resolved
/// folder (<see cref="Resolve"/>), so a switch during a load cannot mix two bundles.
/// </summary>
public static class BundleLink
{
    /// <summary>Points <paramref name="linkPath"/> at <paramref name="bundleDirectory"/> (a relative link, so the pair can move together).</summary>
    /// <exception cref="IOException"><paramref name="linkPath"/> is a real folder or file, not a link.</exception>
    public static void Point(string linkPath, string bundleDirectory)
    {
        string link = Path.TrimEndingDirectorySeparator(Path.GetFullPath(linkPath));
        string target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(bundleDirectory));
        if (!File.Exists(Path.Combine(target, BundleFileNames.Manifest)))
        {
            throw new IOException($"{bundleDirectory}: not a bundle folder ({BundleFileNames.Manifest} missing)");
        }

        var existing = new FileInfo(link);
        if (existing.Exists || Directory.Exists(link))
        {
            if (existing.LinkTarget is null)
            {
                throw new IOException($"{linkPath}: is a folder or file, not a link; move it away or choose another link path");
            }
        }

        string parent = Path.GetDirectoryName(link) ?? ".";
        Directory.CreateDirectory(parent);
        string temporary = Path.Combine(parent, $".{Path.GetFileName(link)}.{Guid.NewGuid():N}.link");
        File.CreateSymbolicLink(temporary, Path.GetRelativePath(parent, target));
        // rename(2) replaces the old link atomically. File.Move cannot: it follows a link to a folder and refuses.
        if (rename(temporary, link) != 0)
        {
            int error = Marshal.GetLastPInvokeError();
            File.Delete(temporary);
            throw new IOException($"{linkPath}: cannot switch the link to {bundleDirectory} ({Marshal.GetPInvokeErrorMessage(error)})");
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int rename(string oldPath, string newPath);

    /// <summary>The folder <paramref name="path"/> finally names, links followed; the path itself when it is no link or does not exist.</summary>
    public static string Resolve(string path)
    {
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        try
        {
            return new DirectoryInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException)
        {
            // Nothing there (yet), or a link whose target is gone: the path itself; loading it says what is missing.
            return full;
        }
    }
}

using System.Text;

namespace Dpr.Fabric.Ports;

/// <summary>The real files. Attributes are opened without create or truncate, as sysfs expects, and written unbuffered so the kernel's answer to the one <c>write</c> surfaces here.</summary>
internal sealed class FileSysfsAccess : ISysfsAccess
{
    public static FileSysfsAccess Instance { get; } = new();

    public bool Exists(string path) => File.Exists(path);

    public string ReadText(string path) => File.ReadAllText(path);

    public void WriteText(string path, string text)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        stream.Write(Encoding.ASCII.GetBytes(text));
    }

    public void WriteFile(string path, ReadOnlySpan<byte> bytes)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        stream.Write(bytes);
    }
}

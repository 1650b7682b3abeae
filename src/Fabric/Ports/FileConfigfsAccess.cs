namespace Dpr.Fabric.Ports;

/// <summary>
/// The real files. An overlay item is made and removed with <c>mkdir</c>/<c>rmdir</c> (configfs has no
/// recursive delete: <c>rmdir</c> of an item removes its attributes with it); its <c>dtbo</c> is
/// written unbuffered in one <c>write</c>, which is how the kernel's binary attribute applies it and
/// returns its error.
/// </summary>
internal sealed class FileConfigfsAccess : IConfigfsAccess
{
    public static FileConfigfsAccess Instance { get; } = new();

    public bool DirectoryExists(string path) => Directory.Exists(path);

    public IReadOnlyList<string> Directories(string path) =>
        [.. Directory.GetDirectories(path).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    public void CreateDirectory(string path) => Directory.CreateDirectory(path);

    // Not recursive: configfs refuses to unlink attributes; rmdir of the item is the removal.
    public void RemoveDirectory(string path) => Directory.Delete(path, recursive: false);

    public string ReadText(string path) => File.ReadAllText(path);

    public byte[] ReadBytes(string path) => File.ReadAllBytes(path);

    public void WriteAttribute(string path, ReadOnlySpan<byte> bytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        stream.Write(bytes);
    }

    public void WriteFile(string path, ReadOnlySpan<byte> bytes)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        stream.Write(bytes);
    }
}

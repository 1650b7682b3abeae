using System.Globalization;
using Dpr.Fabric.Ports;

namespace Dpr.Fabric.Tests.Ports;

/// <summary>How the fake kernel fails the next load.</summary>
public enum FakeKernelFault
{
    None,
    WriteInitError,
    WriteError,
    WriteCompleteError,
}

/// <summary>
/// An in-memory sysfs tree and firmware directory that behave like linux-xlnx fpga-mgr.c with the
/// Zynq driver: a write to <c>firmware</c> requests the file from the firmware directory, reads the
/// flags the kernel parsed as hex, checks what zynq-fpga.c checks (a full image must carry the
/// byte-swapped sync word in its first 128 bytes), "programs" the device (the clock moves), sets
/// <c>state</c> step by step, and fails the write with an errno where the kernel would.
/// </summary>
internal sealed class FakeFpgaManager : ISysfsAccess
{
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly HashSet<string> _readOnly = new(StringComparer.Ordinal);
    private readonly ManualTimeProvider _time;

    public FakeFpgaManager(ManualTimeProvider time, string root)
    {
        _time = time;
        Options = new LinuxFpgaManagerOptions
        {
            ClassDirectory = Path.Combine(root, "sys", "class", "fpga_manager"),
            FirmwareDirectory = Path.Combine(root, "lib", "firmware"),
        };
        KernelFirmwareDirectory = Options.FirmwareDirectory;
        Set("name", "Xilinx Zynq FPGA Manager\n");
        Set("state", "operating\n");
        Set("flags", "0\n");
        Set("firmware", "");
    }

    public LinuxFpgaManagerOptions Options { get; }

    /// <summary>Where request_firmware looks; differs from the port's directory to model a misconfiguration.</summary>
    public string KernelFirmwareDirectory { get; set; }

    public FakeKernelFault Fault { get; set; }

    /// <summary>How long programming takes on the fake clock.</summary>
    public TimeSpan ProgrammingTime { get; set; } = TimeSpan.FromMilliseconds(1.25);

    /// <summary>Every image the device received, with whether it was written as a partial.</summary>
    public List<(byte[] Image, bool Partial)> Programmed { get; } = [];

    public string State => Text(Node("state")).Trim();

    public string Flags => Text(Node("flags")).Trim();

    public IEnumerable<string> FirmwareFiles => _files.Keys.Where(k => k.StartsWith(Options.FirmwareDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal));

    public byte[]? Firmware(string fileName) => _files.GetValueOrDefault(Path.Combine(Options.FirmwareDirectory, fileName));

    public void Remove(string node) => _files.Remove(Node(node));

    public void DenyWrites(string node) => _readOnly.Add(Node(node));

    public bool Exists(string path) => _files.ContainsKey(path);

    public string ReadText(string path) => Text(path);

    public void WriteFile(string path, ReadOnlySpan<byte> bytes)
    {
        if (!path.StartsWith(Options.FirmwareDirectory, StringComparison.Ordinal))
        {
            throw new DirectoryNotFoundException($"Could not find a part of the path '{path}'");
        }
        if (_readOnly.Contains(path))
        {
            throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.");
        }
        _files[path] = bytes.ToArray();
    }

    public void WriteText(string path, string text)
    {
        if (!_files.ContainsKey(path))
        {
            throw new FileNotFoundException($"Could not find file '{path}'", path);
        }
        if (_readOnly.Contains(path))
        {
            throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.");
        }
        if (path == Node("flags"))
        {
            // flags_store: kstrtol(buf, 16, ...), -EINVAL otherwise.
            if (!long.TryParse(text.Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var flags))
            {
                throw new IOException("Invalid argument");
            }
            Set("flags", $"{flags:x}\n");
        }
        else if (path == Node("firmware"))
        {
            Load(text.TrimEnd('\n'));
        }
        else
        {
            throw new IOException("Input/output error");
        }
    }

    private void Load(string imageName)
    {
        Set("state", "firmware request");
        if (!_files.TryGetValue(Path.Combine(KernelFirmwareDirectory, imageName), out var image))
        {
            Set("state", "firmware request error");
            throw new IOException("No such file or directory");
        }
        var partial = (long.Parse(Flags, NumberStyles.HexNumber, CultureInfo.InvariantCulture) & 1) != 0;
        Set("state", "write init");
        if (Fault == FakeKernelFault.WriteInitError || (!partial && !HasSwappedSync(image.AsSpan(0, Math.Min(128, image.Length)))))
        {
            Set("state", "write init error");
            throw new IOException("Invalid argument");
        }
        Set("state", "write");
        _time.Advance(ProgrammingTime);
        if (Fault == FakeKernelFault.WriteError)
        {
            Set("state", "write error");
            throw new IOException("Input/output error");
        }
        Programmed.Add((image, partial));
        Set("state", "write complete");
        if (Fault == FakeKernelFault.WriteCompleteError)
        {
            Set("state", "write complete error");
            throw new IOException("Connection timed out");
        }
        Set("state", "operating");
    }

    /// <summary>zynq_fpga_has_sync: 66 55 99 AA at a 4-byte step.</summary>
    private static bool HasSwappedSync(ReadOnlySpan<byte> head)
    {
        for (var i = 0; i + 4 <= head.Length; i += 4)
        {
            if (head[i] == 0x66 && head[i + 1] == 0x55 && head[i + 2] == 0x99 && head[i + 3] == 0xAA)
            {
                return true;
            }
        }
        return false;
    }

    private string Node(string name) => Path.Combine(Options.ManagerDirectory, name);

    private void Set(string node, string text) => _files[Node(node)] = System.Text.Encoding.ASCII.GetBytes(text);

    private string Text(string path) =>
        _files.TryGetValue(path, out var bytes)
            ? System.Text.Encoding.ASCII.GetString(bytes)
            : throw new FileNotFoundException($"Could not find file '{path}'", path);
}

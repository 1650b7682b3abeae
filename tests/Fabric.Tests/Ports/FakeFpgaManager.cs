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
/// <c>state</c> step by step, and fails the write with an errno where the kernel would. Safe to call
/// from several threads, as sysfs is: it counts the writers in flight (a writer sets <c>flags</c>, then
/// loads through <c>firmware</c>) and can hold each load until the test lets it finish.
/// </summary>
internal sealed class FakeFpgaManager : ISysfsAccess
{
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly HashSet<string> _readOnly = new(StringComparer.Ordinal);
    private readonly ManualTimeProvider _time;
    private readonly object _lock = new();
    private readonly SemaphoreSlim _loadPermits = new(0);
    private readonly SemaphoreSlim _writerStarts = new(0);
    private int _writersInFlight;
    private int _mostWritersInFlight;

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

    /// <summary>Every image the device received, with the file name it was loaded from and whether it was written as a partial.</summary>
    public List<(string Name, byte[] Image, bool Partial)> Programmed { get; } = [];

    /// <summary>While true, each load waits in the "write" state until <see cref="Proceed"/> lets it finish.</summary>
    public bool HoldLoads { get; set; }

    /// <summary>
    /// Writers between their <c>flags</c> write and the return of their <c>firmware</c> write: with
    /// more than one, a load may run with another writer's flags.
    /// </summary>
    public int WritersInFlight
    {
        get
        {
            lock (_lock)
            {
                return _writersInFlight;
            }
        }
    }

    /// <summary>The most writers that were ever in flight at once.</summary>
    public int MostWritersInFlight
    {
        get
        {
            lock (_lock)
            {
                return _mostWritersInFlight;
            }
        }
    }

    /// <summary>Lets <paramref name="loads"/> held loads (or loads still to come) finish.</summary>
    public void Proceed(int loads) => _loadPermits.Release(loads);

    /// <summary>Completes when one more writer has written <c>flags</c> (each writer completes one wait).</summary>
    public Task NextWriterAsync() => _writerStarts.WaitAsync();

    public string State => Text(Node("state")).Trim();

    public string Flags => Text(Node("flags")).Trim();

    public IEnumerable<string> FirmwareFiles
    {
        get
        {
            lock (_lock)
            {
                return _files.Keys.Where(k => k.StartsWith(Options.FirmwareDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal)).ToList();
            }
        }
    }

    public byte[]? Firmware(string fileName)
    {
        lock (_lock)
        {
            return _files.GetValueOrDefault(Path.Combine(Options.FirmwareDirectory, fileName));
        }
    }

    public void Remove(string node)
    {
        lock (_lock)
        {
            _files.Remove(Node(node));
        }
    }

    public void DenyWrites(string node)
    {
        lock (_lock)
        {
            _readOnly.Add(Node(node));
        }
    }

    public bool Exists(string path)
    {
        lock (_lock)
        {
            return _files.ContainsKey(path);
        }
    }

    public string ReadText(string path) => Text(path);

    public void WriteFile(string path, ReadOnlySpan<byte> bytes)
    {
        if (!path.StartsWith(Options.FirmwareDirectory, StringComparison.Ordinal))
        {
            throw new DirectoryNotFoundException($"Could not find a part of the path '{path}'");
        }
        lock (_lock)
        {
            if (_readOnly.Contains(path))
            {
                throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.");
            }
            _files[path] = bytes.ToArray();
        }
    }

    public void WriteText(string path, string text)
    {
        lock (_lock)
        {
            if (!_files.ContainsKey(path))
            {
                throw new FileNotFoundException($"Could not find file '{path}'", path);
            }
            if (_readOnly.Contains(path))
            {
                throw new UnauthorizedAccessException($"Access to the path '{path}' is denied.");
            }
        }
        if (path == Node("flags"))
        {
            // flags_store: kstrtol(buf, 16, ...), -EINVAL otherwise.
            if (!long.TryParse(text.Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var flags))
            {
                throw new IOException("Invalid argument");
            }
            Set("flags", $"{flags:x}\n");
            lock (_lock)
            {
                _writersInFlight++;
                _mostWritersInFlight = Math.Max(_mostWritersInFlight, _writersInFlight);
            }
            _writerStarts.Release();
        }
        else if (path == Node("firmware"))
        {
            try
            {
                Load(text.TrimEnd('\n'));
            }
            finally
            {
                lock (_lock)
                {
                    _writersInFlight--;
                }
            }
        }
        else
        {
            throw new IOException("Input/output error");
        }
    }

    private void Load(string imageName)
    {
        Set("state", "firmware request");
        byte[]? image;
        lock (_lock)
        {
            _files.TryGetValue(Path.Combine(KernelFirmwareDirectory, imageName), out image);
        }
        if (image is null)
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
        if (HoldLoads)
        {
            // The kernel's write blocks while the device is programmed: hold it here, as long as the test wants.
            _loadPermits.Wait();
        }
        _time.Advance(ProgrammingTime);
        if (Fault == FakeKernelFault.WriteError)
        {
            Set("state", "write error");
            throw new IOException("Input/output error");
        }
        lock (_lock)
        {
            Programmed.Add((imageName, image, partial));
        }
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

    private void Set(string node, string text)
    {
        lock (_lock)
        {
            _files[Node(node)] = System.Text.Encoding.ASCII.GetBytes(text);
        }
    }

    private string Text(string path)
    {
        lock (_lock)
        {
            return _files.TryGetValue(path, out var bytes)
                ? System.Text.Encoding.ASCII.GetString(bytes)
                : throw new FileNotFoundException($"Could not find file '{path}'", path);
        }
    }
}

using Dpr.Fabric.Bitstreams;

namespace Dpr.Fabric.Ports;

/// <summary>
/// The real port on a Zynq board: the Linux fpga_manager through sysfs, exactly as PYNQ drives it
/// (<c>pynq/pl_server/embedded_device.py</c>; FORMAT-NOTES §10). The image is converted to the
/// byte-swapped <c>.bin</c> the Zynq driver requires, copied to the firmware directory as
/// <c>&lt;name&gt;.bin</c>, the flags are written in hexadecimal (bit 0 = partial), then the file name
/// is written to <c>firmware</c>: that write blocks in the kernel until programming has finished
/// and fails with an errno if it did not, after which <c>state</c> says which step failed.
/// </summary>
/// <remarks>
/// The <c>firmware</c> and <c>flags</c> attributes are Xilinx additions to fpga-mgr.c (linux-xlnx
/// <c>drivers/fpga/fpga-mgr.c</c>: <c>firmware_store</c> calls <c>fpga_mgr_firmware_load</c>,
/// <c>flags_store</c> parses with <c>kstrtol(buf, 16, ...)</c>); the state strings are the kernel's
/// <c>state_str[]</c>, documented in <c>Documentation/ABI/testing/sysfs-class-fpga-manager</c>.
/// The port serializes its writes: the kernel has one <c>flags</c> per manager and every partition
/// shares it, so a second write (another partition's swap, a full reload) waits until the first has
/// finished or failed, and never copies its image or touches <c>flags</c> before then.
/// </remarks>
public sealed class LinuxFpgaManagerPort : IConfigurationPort
{
    /// <summary><c>FPGA_MGR_PARTIAL_RECONFIG</c> = BIT(0) (include/linux/fpga/fpga-mgr.h).</summary>
    private const int PartialReconfigFlag = 0x1;

    private readonly LinuxFpgaManagerOptions _options;
    private readonly ISysfsAccess _files;
    private readonly TimeProvider _time;
    private readonly PortWriterLock _writer = new();

    public LinuxFpgaManagerPort(LinuxFpgaManagerOptions? options = null, TimeProvider? time = null)
        : this(options ?? new LinuxFpgaManagerOptions(), FileSysfsAccess.Instance, time ?? TimeProvider.System)
    {
    }

    internal LinuxFpgaManagerPort(LinuxFpgaManagerOptions options, ISysfsAccess files, TimeProvider time)
    {
        _options = options;
        _files = files;
        _time = time;
    }

    public string Name => "fpga-manager";

    /// <summary>Writes waiting for the port behind the one under way.</summary>
    internal int WritesWaiting => _writer.Waiting;

    public async Task<PortWriteResult> WriteAsync(ConfigurationImage image, IProgress<PortProgress>? progress, CancellationToken cancellationToken)
    {
        // A token cancelled before the call did not wait for the port: say so.
        KernelFiles.StopIfCancelled(cancellationToken, "before anything was written");
        await _writer.EnterAsync(image.Name, cancellationToken);
        try
        {
            // The kernel call blocks for the whole programming (about a millisecond for a partial, a
            // second for a full image): keep it off the caller's thread.
            return await Task.Run(() => Write(image, progress, cancellationToken), CancellationToken.None);
        }
        finally
        {
            _writer.Exit();
        }
    }

    private PortWriteResult Write(ConfigurationImage image, IProgress<PortProgress>? progress, CancellationToken cancellationToken)
    {
        var fileName = FirmwareFileName(image.Name);
        var manager = _options.ManagerDirectory;
        var flagsPath = Path.Combine(manager, "flags");
        var firmwarePath = Path.Combine(manager, "firmware");
        var statePath = Path.Combine(manager, "state");
        var partial = image.Kind == BitstreamKind.Partial;

        KernelFiles.StopIfCancelled(cancellationToken, "before anything was written");
        foreach (var node in new[] { flagsPath, firmwarePath, statePath })
        {
            if (!_files.Exists(node))
            {
                throw new ConfigurationPortException(PortFailure.Unavailable, false,
                    $"fpga_manager node {node} does not exist: no fpga_manager '{_options.Manager}' under {_options.ClassDirectory} (is the kernel driver loaded?)");
            }
        }

        var bin = BinConverter.ToBin(image.Bitstream);
        var firmwareFile = Path.Combine(_options.FirmwareDirectory, fileName);
        KernelFiles.Unavailable($"could not copy the image to {firmwareFile}", () => _files.WriteFile(firmwareFile, bin));

        KernelFiles.StopIfCancelled(cancellationToken, $"after copying {firmwareFile}, before the device was touched");
        var flags = (partial ? PartialReconfigFlag : 0).ToString("x");
        KernelFiles.Unavailable($"could not write flags '{flags}' to {flagsPath}", () => _files.WriteText(flagsPath, flags));

        // Last point where cancelling leaves the device untouched: the firmware write cannot be interrupted.
        KernelFiles.StopIfCancelled(cancellationToken, $"after writing {flagsPath}, before the device was touched");
        progress?.Report(new PortProgress(0, bin.Length));
        var started = _time.GetTimestamp();
        IOException? kernelError = null;
        try
        {
            _files.WriteText(firmwarePath, fileName);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or FileNotFoundException or DirectoryNotFoundException)
        {
            // open() failed: the kernel never saw the request.
            throw new ConfigurationPortException(PortFailure.Unavailable, false, $"could not open {firmwarePath}: {e.Message}", e);
        }
        catch (IOException e)
        {
            kernelError = e;
        }
        var duration = _time.GetElapsedTime(started);

        var state = ReadState(statePath);
        if (kernelError is null && state == "operating")
        {
            progress?.Report(new PortProgress(bin.Length, bin.Length));
            return new PortWriteResult(duration, bin.Length);
        }
        throw Failure(state, partial, kernelError, fileName, manager);
    }

    /// <summary>
    /// What a state after a failed (or unconfirmed) load means, from the kernel's state machine in
    /// fpga-mgr.c (<c>fpga_mgr_firmware_load</c> → <c>fpga_mgr_write_init_*</c> → write →
    /// <c>fpga_mgr_write_complete</c>; each step sets its <c>*_ERR</c> state on failure) and the Zynq
    /// driver's steps in zynq-fpga.c.
    /// </summary>
    internal static (PortFailure Failure, bool RegionStateUnknown, string Meaning) Classify(string? state, bool partial) => state switch
    {
        // request_firmware failed: the image never left the file system.
        "firmware request error" => (PortFailure.Unavailable, false,
            "the kernel could not load the image from its firmware search path (is the firmware directory on it?)"),
        // A partial's write_init only checks the PCAP (encryption, an empty DMA queue): nothing is
        // sent. A full image's write_init pulses PROG_B, which clears the whole PL before it can time out.
        "write init error" => partial
            ? (PortFailure.Refused, false, "the driver refused to start the partial reconfiguration; nothing was sent to the device")
            : (PortFailure.WriteFailed, true, "preparing the device failed; a full configuration may already have cleared the PL"),
        // The DMA to the PCAP reported an error or timed out part-way.
        "write error" => (PortFailure.WriteFailed, true, "the transfer to the device failed part-way; some frames may have been written"),
        // Every word was sent but PCFG_DONE did not rise.
        "write complete error" => (PortFailure.WriteFailed, true, "the image was sent but the device did not report done"),
        _ => (PortFailure.WriteFailed, true, "the kernel did not confirm the device is operating"),
    };

    private ConfigurationPortException Failure(string? state, bool partial, IOException? kernelError, string fileName, string manager)
    {
        var (failure, unknown, meaning) = Classify(state, partial);
        if (state == "write complete error" && KernelFiles.ReadOptional(_files.ReadText, Path.Combine(manager, "status")) is { } status
            && status.Contains("CRC error", StringComparison.OrdinalIgnoreCase))
        {
            // Drivers with a status op (not the Zynq one) name the CRC error (sysfs-class-fpga-manager, "status").
            (failure, meaning) = (PortFailure.CrcError, "the device reported a CRC error in the stream it received");
        }
        var answer = kernelError is null ? "the write returned without error" : $"the write failed: {kernelError.Message}";
        return new ConfigurationPortException(failure, unknown,
            $"loading {fileName} through {manager}: {answer}; state is '{state ?? "unreadable"}': {meaning}", kernelError);
    }

    private string? ReadState(string path) => KernelFiles.ReadOptional(_files.ReadText, path);

    /// <summary>
    /// The name written to <c>firmware</c> is looked up on the firmware search path and must fit the
    /// kernel's <c>NAME_MAX</c> buffer in <c>firmware_store</c>; a path would escape the directory.
    /// </summary>
    internal static string FirmwareFileName(string name)
    {
        var fileName = name + ".bin";
        if (name.Length == 0 || name.IndexOfAny(['/', '\\', '\n', '\0']) >= 0 || name is "." or ".." || fileName.Length >= 255)
        {
            throw new ConfigurationPortException(PortFailure.Refused, false,
                $"image name '{name}' cannot be a firmware file name: expected a plain file name under 250 characters");
        }
        return fileName;
    }
}

namespace Dpr.Fabric.Ports;

public enum PortFailure
{
    /// <summary>The port refused the image before writing anything.</summary>
    Refused,

    /// <summary>The write failed; frames may have been written.</summary>
    WriteFailed,

    /// <summary>The device reported a CRC error for the stream it received.</summary>
    CrcError,

    /// <summary>The write did not finish in time (or was cancelled).</summary>
    Timeout,

    /// <summary>The port is not usable (missing sysfs node, no permission, bad configuration).</summary>
    Unavailable,

    /// <summary>
    /// The configuration engine was not free for the port: the SEM controller, which scans through the
    /// ICAP, did not stop in time (or cannot be reached to be stopped). Nothing was written.
    /// </summary>
    ConfigurationEngineBusy,
}

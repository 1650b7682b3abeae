using Serilog;

namespace Dpr.Host.Service;

/// <summary>The optional rolling log file of <c>dpr serve</c> (<see cref="ServiceOptions.LogFile"/>): bounded in size and count, so months of logging fit an SD card.</summary>
internal static class LogFileSink
{
    public static LoggerConfiguration WriteToLogFile(this LoggerConfiguration logger, ServiceOptions options) =>
        string.IsNullOrWhiteSpace(options.LogFile)
            ? logger
            : logger.WriteTo.File(
                Path.GetFullPath(options.LogFile),
                // The console's template with the date and offset: a file is read long after, without journald's timestamps.
                outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss.fff zzz} [{Level:u3}] {SourceContext}: {Message:lj}{Suppressed}{NewLine}{Exception}",
                rollingInterval: RollingInterval.Day,
                retainedFileCountLimit: options.LogFileRetainedCount,
                fileSizeLimitBytes: options.LogFileMaxBytes,
                rollOnFileSizeLimit: true);
}

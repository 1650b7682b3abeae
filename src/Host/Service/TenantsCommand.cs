using System.CommandLine;
using Dpr.Host.Cli;
using Spectre.Console;

namespace Dpr.Host.Service;

/// <summary><c>dpr tenants add NAME [--admin]</c> and <c>dpr tenants list</c>, on the data directory's tenant file.</summary>
public static class TenantsCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "The service's data directory.", DefaultValueFactory = _ => "data", Recursive = true };
        var name = new Argument<string>("name") { Description = "Letters, digits, '-', '_' or '.'." };
        var admin = new Option<bool>("--admin") { Description = "May load modules by hand, reset partitions and manage tenants." };
        var add = new Command("add", "Make a tenant; its new API key is the last line of stdout (only its hash is kept).") { name, admin };
        CliAction.Set(add, (parse, output) =>
        {
            var store = new TenantStore(Path.GetFullPath(parse.GetValue(data)!));
            try
            {
                var key = store.Add(parse.GetValue(name)!, parse.GetValue(admin));
                output.WriteLine($"tenant {parse.GetValue(name)}{(parse.GetValue(admin) ? " (admin)" : "")} added; its key, shown only now:");
                output.WriteLine(key);
                return ExitCodes.Ok;
            }
            catch (ArgumentException e)
            {
                throw new CliFailure(ExitCodes.UsageOrFile, e.Message.Split(" (Parameter")[0]);
            }
        });
        var list = new Command("list", "The tenants of the data directory.");
        CliAction.Set(list, (parse, output) =>
        {
            var table = new Table().Border(TableBorder.Rounded).AddColumns("tenant", "admin", "created");
            foreach (var tenant in new TenantStore(Path.GetFullPath(parse.GetValue(data)!)).All)
            {
                table.AddRow(Markup.Escape(tenant.Name), tenant.Admin ? "yes" : "", tenant.Created.ToString("u"));
            }
            InspectCommand.ConsoleFor(output).Write(table);
            return ExitCodes.Ok;
        });
        return new Command("tenants", "Tenants and their API keys.") { data, add, list };
    }
}

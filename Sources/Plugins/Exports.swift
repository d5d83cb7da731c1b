@_exported import DescentHost

package dev.idempotency.servlet;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.Servlet;
import java.nio.file.Path;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** The filter's suite in an embedded Jetty 12 (ee10). */
class IdempotencyFilterJettyTest extends IdempotencyFilterContract {
  @Override
  Container newContainer(Path directory) {
    Server jetty = new Server();
    ServletContextHandler context = new ServletContextHandler();
    ServerConnector connector = new ServerConnector(jetty);
    return new Container() {
      @Override
      public void addFilter(String name, Filter filter, String pattern) {
        FilterHolder holder = new FilterHolder(filter);
        holder.setName(name);
        context.addFilter(holder, pattern, EnumSet.of(DispatcherType.REQUEST));
      }

      @Override
      public void addServlet(String name, Servlet servlet, String pattern) {
        ServletHolder holder = new ServletHolder(name, servlet);
        context.addServlet(holder, pattern);
      }

      @Override
      public int start() throws Exception {
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        jetty.addConnector(connector);
        jetty.setHandler(context);
        jetty.start();
        return connector.getLocalPort();
      }

      @Override
      public void stop() throws Exception {
        jetty.stop();
      }
    };
  }
}
